import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TASK_METRICS } from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

// Token classification through the CLI on real sentences (SST-2 dev, already split on spaces),
// tagged PUNCT / WORD: train 3 steps, metrics, evaluate reproduces, predict writes word tags.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

async function tokenRun(): Promise<{ dir: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-token-"));
  const lines = (await readFile(join(REPO, "../shared/data/sst2/dev.tsv"), "utf8")).split("\n").slice(1, 161);
  const rows = lines.map((l) => {
    const tokens = l.split("\t")[0]!.trim().split(/\s+/);
    return { tokens, tags: tokens.map((t) => (/^[^\p{L}\p{N}]+$/u.test(t) ? "PUNCT" : "WORD")) };
  });
  await writeFile(
    join(dir, "train.jsonl"),
    rows
      .slice(0, 128)
      .map((r) => JSON.stringify(r))
      .join("\n"),
  );
  await writeFile(
    join(dir, "dev.jsonl"),
    rows
      .slice(128)
      .map((r) => JSON.stringify(r))
      .join("\n"),
  );
  const config = join(dir, "train.json");
  await writeFile(
    config,
    JSON.stringify({
      model: { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 } },
      tokenizer: join(REPO, "../shared/tokenizers/bert-base-uncased"),
      data: { tokens: { name: "punct", splits: { train: "train.jsonl", validation: "dev.jsonl" } } },
      training: { lr: 0.005, maxSteps: 3, batchSize: 32, maxLength: 32 },
      output: join(dir, "run"),
    }),
  );
  return { dir, config };
}

describe("token classification", () => {
  it("trains, evaluates and predicts per word", async () => {
    const { dir, config } = await tokenRun();
    const io = captureIo({ cwd: dir });
    expect(await runCli(["train", config, "--json"], io), io.err()).toBe(EXIT.ok);
    const summary = JSON.parse(io.out()) as {
      parameters: { total: number };
      task: string;
      labels: string[];
      evaluation: { rows: number; loss: number; metrics: Record<string, number> };
    };
    expect(summary.task).toBe("token-classification");
    expect(summary.labels).toEqual(["PUNCT", "WORD"]);
    expect(summary.evaluation.rows).toBe(32);
    expect(Object.keys(summary.evaluation.metrics)).toEqual([...TASK_METRICS["token-classification"]]);
    expect(summary.evaluation.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.evaluation.metrics.accuracy).toBeLessThanOrEqual(1);

    // info on the training config builds the same token classification model (it used to crash
    // reading data.config, which a data.tokens config does not have)
    const infoConfig = captureIo({ cwd: dir });
    expect(await runCli(["info", config, "--json"], infoConfig), infoConfig.err()).toBe(EXIT.ok);
    const fromConfig = JSON.parse(infoConfig.out()) as {
      architecture: { labels: string[] };
      parameters: { total: number };
    };
    expect(fromConfig.architecture.labels).toEqual(["PUNCT", "WORD"]);
    expect(fromConfig.parameters.total).toBe(summary.parameters.total);

    const ev = captureIo({ cwd: dir });
    expect(await runCli(["evaluate", "run", "--json"], ev), ev.err()).toBe(EXIT.ok);
    const evaluated = JSON.parse(ev.out()) as { task: string; loss: number; metrics: Record<string, number> };
    expect(evaluated.task).toBe("token-classification");
    expect(evaluated.loss).toBeCloseTo(summary.evaluation.loss, 5);

    // info reads the saved folder as a token classification BERT (no pooler): same count
    const info = captureIo({ cwd: dir });
    expect(await runCli(["info", "run/model", "--json"], info), info.err()).toBe(EXIT.ok);
    expect((JSON.parse(info.out()) as { parameters: { total: number } }).parameters.total).toBe(
      summary.parameters.total,
    );

    await writeFile(join(dir, "input.txt"), "a gripping , funny film .\nbad\n");
    const pr = captureIo({ cwd: dir });
    expect(
      await runCli(["predict", "run", "--input", "input.txt", "--out", "preds.jsonl"], pr),
      pr.err(),
    ).toBe(EXIT.ok);
    const preds = (await readFile(join(dir, "preds.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { tokens: string[]; prediction: string[] });
    expect(preds.map((p) => p.tokens)).toEqual([["a", "gripping", ",", "funny", "film", "."], ["bad"]]);
    for (const p of preds) {
      expect(p.prediction).toHaveLength(p.tokens.length);
      for (const tag of p.prediction) expect(["PUNCT", "WORD"]).toContain(tag);
    }
  });

  it("a sequence data set with task token-classification is a config error", async () => {
    const io = captureIo({ cwd: REPO });
    expect(await runCli(["train", "examples/sst2-tiny.json", "--set", "task=token-classification"], io)).toBe(
      EXIT.usageError,
    );
    expect(io.err()).toContain('task is "token-classification" but data.config is a sequence data set');
  });
});
