import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TASK_METRICS } from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

// The example configs in examples/ train for a few steps on small slices of the real data
// (../shared/data) on onnx, and produce metrics; the SST-2 run is then evaluated, predicted
// and inspected through the other commands.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const QUICK = [
  "--max-steps",
  "3",
  "--set",
  "data.maxRows.train=96",
  "--set",
  "data.maxRows.validation=48",
  "--set",
  "training.maxLength=32",
  "--set",
  "training.batchSize=16",
];

interface TrainSummary {
  ok: boolean;
  task: string;
  labels: string[];
  steps: number;
  randomModel: boolean;
  trainLoss: number;
  evaluation: { split: string; rows: number; loss: number; metrics: Record<string, number> };
}

async function train(example: string): Promise<{ summary: TrainSummary; out: string; stderr: string }> {
  const out = await mkdtemp(join(tmpdir(), "tunekit-example-"));
  const io = captureIo({ cwd: REPO });
  const code = await runCli(["train", `examples/${example}`, ...QUICK, "--output", out, "--json"], io);
  expect(code, io.err()).toBe(EXIT.ok);
  const lines = io.out().trim().split("\n");
  expect(lines).toHaveLength(1);
  return { summary: JSON.parse(lines[0]!) as TrainSummary, out, stderr: io.err() };
}

const inUnit = (x: number): boolean => Number.isFinite(x) && x >= 0 && x <= 1;

describe("examples train for a few steps and report metrics", () => {
  it("sst2-bert-4l: starts from the shipped pre-trained model; only the classifier is fresh", async () => {
    const { summary, out, stderr } = await train("sst2-bert-4l.json");
    expect(summary).toMatchObject({
      ok: true,
      task: "sequence-classification",
      steps: 3,
      randomModel: false,
    });
    expect(stderr).not.toContain("RANDOM MODEL");
    expect(stderr).toMatch(
      /loaded \d+ tensors from .*bert-4l-h128; freshly initialised: classifier\.weight, classifier\.bias\n/,
    );
    expect(inUnit(summary.evaluation.metrics.accuracy!)).toBe(true);
    // the run's model folder is a float32 classifier checkpoint with the example's labels
    const config = JSON.parse(await readFile(join(out, "model/config.json"), "utf8"));
    expect(config.architectures).toEqual(["BertForSequenceClassification"]);
    expect(config.id2label).toEqual({ "0": "negative", "1": "positive" });
    expect(config.torch_dtype).toBe("float32");
  });

  it("sst2-tiny: binary classification; then evaluate, predict and info on the run", async () => {
    const { summary, out, stderr } = await train("sst2-tiny.json");
    expect(summary).toMatchObject({
      ok: true,
      task: "sequence-classification",
      labels: ["negative", "positive"],
      steps: 3,
      randomModel: true,
    });
    expect(stderr).toContain("RANDOM MODEL");
    expect(stderr).toMatch(/step 3\/3 \(100%\) .* ex\/s .* tok\/s \| eta/);
    const ev = summary.evaluation;
    expect(ev.rows).toBe(48);
    expect(Object.keys(ev.metrics)).toEqual([...TASK_METRICS.classification]);
    expect(inUnit(ev.metrics.accuracy!)).toBe(true);
    // an untrained 2-class model is near chance: loss near ln 2
    expect(Math.abs(ev.loss - Math.LN2)).toBeLessThan(0.1);
    for (const f of [
      "model/config.json",
      "model/model.safetensors",
      "model/tokenizer.json",
      "metrics.json",
      "tunekit-run.json",
    ]) {
      expect((await stat(join(out, f))).isFile(), f).toBe(true);
    }

    // evaluate the saved model on the same rows: the same numbers (tolerance 1e-5)
    const evalIo = captureIo({ cwd: REPO });
    expect(await runCli(["evaluate", out, "--max-rows", "48", "--json"], evalIo), evalIo.err()).toBe(EXIT.ok);
    const evaluated = JSON.parse(evalIo.out()) as {
      rows: number;
      loss: number;
      metrics: Record<string, number>;
    };
    expect(evaluated.rows).toBe(48);
    expect(evaluated.loss).toBeCloseTo(ev.loss, 5);
    expect(evaluated.metrics.accuracy).toBeCloseTo(ev.metrics.accuracy!, 5);
    const table = captureIo({ cwd: REPO });
    expect(await runCli(["evaluate", out, "--max-rows", "48"], table)).toBe(EXIT.ok);
    expect(table.out()).toMatch(/metric\s+validation \(48 rows\)\n-+\s+-+\nloss\s+\d\.\d{4}\naccuracy/);

    // predict the first 5 test rows to JSONL
    const predIo = captureIo({ cwd: REPO });
    const preds = join(out, "preds.jsonl");
    expect(
      await runCli(["predict", out, "--split", "test", "--max-rows", "5", "--out", preds], predIo),
      predIo.err(),
    ).toBe(EXIT.ok);
    const rows = (await readFile(preds, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      expect(["negative", "positive"]).toContain(r.prediction);
      const p = r.probabilities as Record<string, number>;
      expect(p.negative! + p.positive!).toBeCloseTo(1, 5);
    }
    expect(predIo.out()).toContain("wrote 5 predictions (test)");

    // info on the example config: architecture and parameter counts
    const infoIo = captureIo({ cwd: REPO });
    expect(
      await runCli(["info", "examples/sst2-tiny.json", "--strategy", "head-only", "--json"], infoIo),
      infoIo.err(),
    ).toBe(EXIT.ok);
    const info = JSON.parse(infoIo.out()) as {
      architecture: { layers: number; vocab: number };
      parameters: { total: number; trainable: number };
    };
    expect(info.architecture).toMatchObject({ layers: 2, vocab: 30522 });
    expect(info.parameters.trainable).toBe(64 * 2 + 2); // classifier weight [2, 64] + bias
  });

  it("sst5-3class-tiny: SST-5 folded to negative / neutral / positive", async () => {
    const { summary } = await train("sst5-3class-tiny.json");
    expect(summary.labels).toEqual(["negative", "neutral", "positive"]);
    expect(Math.abs(summary.evaluation.loss - Math.log(3))).toBeLessThan(0.15);
    expect(inUnit(summary.evaluation.metrics.macro_f1!)).toBe(true);
  });

  it("rte-tiny: sentence pairs", async () => {
    const { summary, stderr } = await train("rte-tiny.json");
    expect(summary.labels).toEqual(["entailment", "not_entailment"]);
    expect(stderr).toContain("truncated to 32 tokens");
    expect(inUnit(summary.evaluation.metrics.accuracy!)).toBe(true);
  });

  it("stsb-tiny.yaml: regression with pearson / spearman / mse", async () => {
    const { summary } = await train("stsb-tiny.yaml");
    expect(summary.task).toBe("regression");
    expect(Object.keys(summary.evaluation.metrics)).toEqual([...TASK_METRICS.regression]);
    expect(TASK_METRICS.regression).toContain("pearson");
    expect(Math.abs(summary.evaluation.metrics.pearson!)).toBeLessThanOrEqual(1);
    expect(summary.evaluation.metrics.mse).toBeCloseTo(summary.evaluation.loss, 4); // the MSE loss is the metric
  });
});

describe("an evaluation split without labels", () => {
  it("trains without evaluation and says that evalEvery is ignored", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-noeval-"));
    const io = captureIo({ cwd: REPO });
    // RTE's test split has no gold labels
    const args = [
      "train",
      "examples/rte-tiny.json",
      ...QUICK,
      "--set",
      "data.evalSplit=test",
      "--set",
      "training.evalEvery=2",
    ];
    expect(await runCli([...args, "--output", out, "--json"], io), io.err()).toBe(EXIT.ok);
    expect(io.err()).toContain(
      "note: no labelled test split: training without evaluation (training.evalEvery ignored)",
    );
    const summary = JSON.parse(io.out()) as { steps: number; evaluation: unknown; best: unknown };
    expect(summary).toMatchObject({ steps: 3, evaluation: null, best: null });
  });
});
