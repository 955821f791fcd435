import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// predict / evaluate on a plain Hugging Face folder (a run's model/, or a base + --adapter)
// with no training config: rows from CSV / JSONL / stdin, per-class scores, metrics.json and
// the confusion-matrix SVG.
const SMALL = smallRunFlags({ train: 64, validation: 32, maxLength: 32 });
const QUICK = [...SMALL, "--max-steps", "2"];

/** `train` of the SST-2 example for `maxSteps` steps as LoRA rank `r` on the 4-layer base, then `flags`. */
const loraTrainArgs = (maxSteps: number, r: number, ...flags: string[]): string[] => [
  "train",
  "examples/sst2-tiny.json",
  ...SMALL,
  "--max-steps",
  String(maxSteps),
  "--set",
  'model={"path":"models/bert-4l-h128"}',
  "--set",
  `strategy={"method":"lora","r":${r}}`,
  ...flags,
];

async function cli(
  args: string[],
  o: { code?: number; stdin?: string } = {},
): Promise<{ out: string; err: string; json: Record<string, unknown> | undefined }> {
  const io = captureIo({ cwd: REPO });
  const withStdin = o.stdin === undefined ? io : { ...io, readStdin: async () => o.stdin! };
  const code = await runCli(args, withStdin);
  expect(code, io.err()).toBe(o.code ?? EXIT.ok);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(io.out()) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { out: io.out(), err: io.err(), json };
}

/** `evaluate FOLDER ...flags --json`: the JSON it prints. */
async function evaluateJson(folder: string, ...flags: string[]): Promise<Record<string, unknown>> {
  return (await cli(["evaluate", folder, ...flags, "--json"])).json!;
}

/** `evaluate FOLDER --data FILE ...flags` at the runs' --max-length 32: the JSON it prints. */
const evaluateFile = (folder: string, file: string, ...flags: string[]): Promise<Record<string, unknown>> =>
  evaluateJson(folder, "--data", file, "--max-length", "32", ...flags);

let dir: string;
let run: string;
let devRows: { sentence: string; label: string }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-folder-"));
  run = join(dir, "run");
  await cli(["train", "examples/sst2-tiny.json", ...QUICK, "--output", run, "--json"]);
  // the run's validation rows (the first 32 of SST-2 dev), as CSV and JSONL with 0/1 labels
  const tsv = await readFile(join(REPO, "../shared/data/sst2/dev.tsv"), "utf8");
  devRows = tsv
    .split("\n")
    .slice(1, 33)
    .map((l) => {
      const [sentence, label] = l.split("\t") as [string, string];
      return { sentence, label };
    });
  const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  await writeFile(
    join(dir, "dev.csv"),
    `id,body,stars\n${devRows.map((r, i) => `${i},${quote(r.sentence)},${r.label}`).join("\n")}\n`,
  );
  await writeFile(join(dir, "dev.jsonl"), `${devRows.map((r) => JSON.stringify(r)).join("\n")}\n`);
}, 120_000);

describe("evaluate / predict on a model folder, no training config", () => {
  it("scores a CSV or JSONL file as the run scores its validation split, with per-class scores", async () => {
    const fromRun = await evaluateJson(run);
    const model = join(run, "model");
    const csv = await evaluateFile(
      model,
      join(dir, "dev.csv"),
      "--text-column",
      "body",
      "--label-column",
      "stars",
    );
    const jsonl = await evaluateFile(model, join(dir, "dev.jsonl"));
    for (const r of [csv, jsonl]) {
      expect(r.rows).toBe(32);
      expect(r.loss as number).toBeCloseTo(fromRun.loss as number, 5);
      expect(r.metrics).toEqual(fromRun.metrics);
      expect(r.classes).toEqual(fromRun.classes);
    }
    const classes = fromRun.classes as {
      perClass: Record<string, { support: number }>;
      confusionMatrix: { labels: string[]; matrix: number[][] };
    };
    expect(classes.confusionMatrix.labels).toEqual(["negative", "positive"]);
    const gold = devRows.map((r) => Number(r.label));
    expect(classes.perClass.negative!.support).toBe(gold.filter((y) => y === 0).length);
    expect(classes.confusionMatrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(32);
  }, 60_000);

  it("takes a data set config as --data (its --split), and names label mismatches", async () => {
    const cfg = (labels: string[]) =>
      JSON.stringify({
        format: "jsonl",
        columns: { text: "sentence", label: "label" },
        labels,
        labelMap: { "0": labels[0], "1": labels[1] },
        splits: { test: "dev.jsonl" },
      });
    await writeFile(join(dir, "dev-config.json"), cfg(["negative", "positive"]));
    const fromRun = await evaluateJson(run);
    const r = await evaluateFile(join(run, "model"), join(dir, "dev-config.json"), "--split", "test");
    expect(r.split).toBe("test");
    expect(r.metrics).toEqual(fromRun.metrics);
    const noSplit = await cli(["evaluate", join(run, "model"), "--data", join(dir, "dev-config.json")], {
      code: EXIT.runtimeError,
    });
    expect(noSplit.err).toContain('has no "validation" split (it has test)');
    await writeFile(join(dir, "other-config.json"), cfg(["neg", "pos"]));
    const other = await cli(
      ["evaluate", join(run, "model"), "--data", join(dir, "other-config.json"), "--split", "test"],
      { code: EXIT.runtimeError },
    );
    expect(other.err).toContain(
      "the model's labels [negative, positive] differ from the data set's [neg, pos]",
    );
  }, 60_000);

  it("writes metrics.json and a confusion-matrix SVG with --out, and prints the per-class table", async () => {
    const out = join(dir, "eval");
    const r = await cli(["evaluate", join(run, "model"), "--data", join(dir, "dev.jsonl"), "--out", out]);
    expect(r.out).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(r.out).toMatch(/macro avg/);
    expect(r.out).toMatch(/weighted avg/);
    expect(r.out).toMatch(/true \\ predicted\s+negative\s+positive/);
    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8")) as {
      classes: { confusionMatrix: { matrix: number[][] } };
    };
    const svg = await readFile(join(out, "confusion-matrix.svg"), "utf8");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const cells = [...svg.matchAll(/data-true="(\d)" data-predicted="(\d)" data-count="(\d+)"/g)];
    expect(cells).toHaveLength(4);
    for (const [, t, p, n] of cells) {
      expect(Number(n)).toBe(metrics.classes.confusionMatrix.matrix[Number(t)]![Number(p)]);
    }
  }, 60_000);

  it("predicts text from stdin to stdout as JSONL with labels and probabilities, and CSV with gold labels", async () => {
    const model = join(run, "model");
    const r = await cli(["predict", model, "--input", "-", "--out", "-"], {
      stdin: "a great film\nterrible , boring\n",
    });
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.text).toBe("terrible , boring");
    expect(["negative", "positive"]).toContain(lines[0]!.prediction);
    const probs = lines[0]!.probabilities as Record<string, number>;
    expect(probs.negative! + probs.positive!).toBeCloseTo(1, 5);
    const csv = await cli([
      "predict",
      model,
      "--input",
      join(dir, "dev.csv"),
      "--text-column",
      "body",
      "--label-column",
      "stars",
      "--out",
      "-",
      "--format",
      "csv",
    ]);
    const [header, first] = csv.out.split("\n");
    expect(header).toBe("row,text,label,prediction,prob_negative,prob_positive");
    expect(first).toMatch(devRows[0]!.label === "0" ? /,negative,(negative|positive),/ : /,positive,/);
    // --labels renames the classes
    const renamed = await cli(["predict", model, "--input", "-", "--out", "-", "--labels", "neg,pos"], {
      stdin: "ok\n",
    });
    expect(Object.keys(JSON.parse(renamed.out).probabilities as object)).toEqual(["neg", "pos"]);
  }, 60_000);

  it("names the file's columns when a column is missing or there is no label column", async () => {
    const model = join(run, "model");
    const missing = await cli(["predict", model, "--input", join(dir, "dev.csv"), "--out", "-"], {
      code: EXIT.runtimeError,
    });
    expect(missing.err).toContain("pick the text with --text-column NAME");
    expect(missing.err).toContain("its columns are [id, body, stars]");
    const typo = await cli(
      ["evaluate", model, "--data", join(dir, "dev.csv"), "--text-column", "bdy", "--label-column", "stars"],
      { code: EXIT.runtimeError },
    );
    expect(typo.err).toContain('--text-column "bdy" is not a column of');
    const noLabel = await cli(["evaluate", model, "--data", join(dir, "dev.csv"), "--text-column", "body"], {
      code: EXIT.runtimeError,
    });
    expect(noLabel.err).toContain("has no label column");
    expect(noLabel.err).toContain("--label-column NAME");
    const twice = await cli(["predict", model, "--input", "-", "--out", "-", "--labels", "a,b,a"], {
      code: EXIT.usageError,
      stdin: "x\n",
    });
    expect(twice.err).toContain('names "a" twice');
    const usage = await cli(["evaluate", model], { code: EXIT.usageError });
    expect(usage.err).toContain("evaluate on a model folder needs --data FILE");
  }, 60_000);

  it("applies a PEFT LoRA adapter to its base folder and reproduces the run's evaluation", async () => {
    const lora = join(dir, "lora");
    const trained = (await cli(loraTrainArgs(2, 4, "--set", "training.lr=0.01", "--output", lora, "--json")))
      .json!;
    const evaluation = trained.evaluation as { loss: number; metrics: Record<string, number> };
    const r = await cli([
      "evaluate",
      "examples/models/bert-4l-h128",
      "--adapter",
      join(lora, "adapter"),
      "--data",
      join(dir, "dev.jsonl"),
      "--max-length",
      "32",
      "--json",
    ]);
    expect(r.err).toContain("labels from");
    expect(r.json!.loss as number).toBeCloseTo(evaluation.loss, 5);
    expect(r.json!.metrics).toEqual(evaluation.metrics);
    // train --adapter continues the adapter: with a negligible learning rate the new run scores as the old one
    const continued = await cli(
      loraTrainArgs(
        1,
        4,
        "--set",
        "training.lr=1e-12",
        "--adapter",
        join(lora, "adapter"),
        "--output",
        join(dir, "lora-continued"),
        "--json",
      ),
    );
    expect(continued.err).toContain("training continues them");
    const again = continued.json!.evaluation as { loss: number; metrics: Record<string, number> };
    expect(again.loss).toBeCloseTo(evaluation.loss, 5);
    expect(again.metrics).toEqual(evaluation.metrics);
    const wrongRank = await cli(
      loraTrainArgs(2, 8, "--adapter", join(lora, "adapter"), "--output", join(dir, "lora-r8")),
      { code: EXIT.runtimeError },
    );
    expect(wrongRank.err).toContain("CHECKPOINT_MISMATCH");
    // without the adapter the base's classifier is fresh: said loudly
    const bare = await cli(["predict", "examples/models/bert-4l-h128", "--input", "-", "--out", "-"], {
      stdin: "fine\n",
    });
    expect(bare.err).toContain("has no trained classifier");
  }, 120_000);

  it("scores a token classification folder on a CoNLL file as its run scores the same rows", async () => {
    const tok = join(dir, "tok");
    const lines = devRows.map((r) => r.sentence);
    const conll = (part: string[]): string =>
      `-DOCSTART- -X- -X- O\n\n${part
        .map((l) =>
          l
            .trim()
            .split(/\s+/)
            .map((w) => `${w} NN ${/^[^\p{L}\p{N}]+$/u.test(w) ? "PUNCT" : "WORD"}`)
            .join("\n"),
        )
        .join("\n\n")}\n`;
    await writeFile(join(dir, "tok-train.txt"), conll(lines.slice(0, 24)));
    await writeFile(join(dir, "tok-dev.txt"), conll(lines.slice(24)));
    const config = join(dir, "tok.json");
    await writeFile(
      config,
      JSON.stringify({
        model: { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 } },
        tokenizer: join(REPO, "../shared/tokenizers/bert-base-uncased"),
        data: { tokens: { splits: { train: "tok-train.txt", validation: "tok-dev.txt" } } },
        training: { lr: 0.005, maxSteps: 2, batchSize: 16, maxLength: 32 },
        output: tok,
      }),
    );
    await cli(["train", config, "--json"]);
    const fromRun = await evaluateJson(tok);
    const folder = await evaluateFile(join(tok, "model"), join(dir, "tok-dev.txt"));
    expect(folder.task).toBe("token-classification");
    expect(folder.loss as number).toBeCloseTo(fromRun.loss as number, 5);
    expect(folder.metrics).toEqual(fromRun.metrics);
    expect((folder.classes as { confusionMatrix: { labels: string[] } }).confusionMatrix.labels).toEqual([
      "PUNCT",
      "WORD",
    ]);
  }, 120_000);
});
