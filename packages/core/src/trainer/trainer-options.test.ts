import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { isTunekitError } from "../errors.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const base = (): TrainerOptions => ({
  model: toyModel("classification", 1),
  backend: createReferenceBackend(),
  batchSize: 8,
  epochs: 1,
});

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isTunekitError(e, "INVALID_ARGUMENT")).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

async function asyncMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isTunekitError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

describe("Trainer options errors name the option, the value received and what is allowed", () => {
  it("neither epochs nor maxSteps", () => {
    const { epochs: _, ...rest } = base();
    expect(message(() => new Trainer(rest))).toBe(
      "Trainer: option epochs/maxSteps is undefined; expected epochs (e.g. 3) or maxSteps (e.g. 1000), or both",
    );
  });

  it.each([
    [{ batchSize: 0 }, "option batchSize is 0; expected a positive integer"],
    [{ epochs: 1.5 }, "option epochs is 1.5; expected a positive integer"],
    [{ gradientAccumulation: -1 }, "option gradientAccumulation is -1; expected a positive integer"],
    [{ schedule: "cosinus" }, 'option schedule is "cosinus"; expected one of "constant", "linear", "cosine"'],
    [{ lr: Number.NaN }, "option lr is NaN; expected a non-negative number"],
    [{ warmupRatio: 2 }, "option warmupRatio is 2; expected a number in [0, 1]"],
    [{ clipNorm: 0 }, "option clipNorm is 0; expected a positive number"],
    [{ bestMode: "up" }, 'option bestMode is "up"; expected one of "max", "min"'],
    [{ lastBatch: "skip" }, 'option lastBatch is "skip"; expected one of "keep", "drop"'],
    [{ earlyStopping: { patience: 0 } }, "option earlyStopping.patience is 0; expected a positive integer"],
    [{ checkpoints: { dir: "" } }, 'option checkpoints.dir is ""; expected a folder path'],
    [
      { checkpoints: { dir: "x", keepLast: 0 } },
      "option checkpoints.keepLast is 0; expected a positive integer",
    ],
  ])("%o", (extra, expected) => {
    expect(message(() => new Trainer({ ...base(), ...(extra as object) }))).toContain(expected);
  });

  it("a backend promise that was not awaited", () => {
    const backend = Promise.resolve(createReferenceBackend()) as never;
    expect(message(() => new Trainer({ ...base(), backend }))).toBe(
      'Trainer: option backend is "a Promise"; expected a Backend: await it first (const backend = await createOnnxBackend())',
    );
  });

  it("unknown metric names list the task's metrics", async () => {
    const trainer = new Trainer({ ...base(), metrics: ["accuracy", "f1"] });
    expect(await asyncMessage(trainer.fit(toyData(16, 1, "classification")))).toBe(
      'Trainer: option metrics is "f1"; expected metric names for classification: "accuracy", "macro_f1", "mcc"',
    );
    const reg = new Trainer({ ...base(), model: toyModel("regression", 1), metrics: ["accuracy"] });
    expect(await asyncMessage(reg.evaluate(toyData(16, 1, "regression")))).toContain(
      'option metrics is "accuracy"; expected metric names for regression: "pearson", "spearman", "mse"',
    );
  });

  it("metricForBest / earlyStopping.metric must be loss or a computed metric; early stopping needs evalData", async () => {
    const bad = new Trainer({ ...base(), metrics: ["accuracy"], metricForBest: "mcc" });
    expect(await asyncMessage(bad.fit(toyData(16, 1, "classification")))).toBe(
      'Trainer: option metricForBest is "mcc"; expected "loss" or one of the computed metrics: "accuracy"',
    );
    const es = new Trainer({ ...base(), earlyStopping: { patience: 2 } });
    expect(await asyncMessage(es.fit(toyData(16, 1, "classification")))).toContain(
      'option earlyStopping is {"patience":2}; expected evalData in fit(train, { evalData })',
    );
  });

  it("data that does not fit the model or the options", async () => {
    const cls = new Trainer(base());
    expect(await asyncMessage(cls.fit(toyData(16, 1, "regression")))).toBe(
      "Trainer: the data is regression (float labels) but the model has 2 labels; build the model with numLabels: 1",
    );
    const acc = new Trainer({ ...base(), gradientAccumulation: 4 });
    expect(await asyncMessage(acc.fit(toyData(16, 1, "classification")))).toBe(
      "Trainer: option gradientAccumulation is 4; expected at most 2 (the batches per epoch of 16 rows at batchSize 8)",
    );
    const tokens = { ...toyData(4, 1, "tokens") };
    const broken = { ...tokens, tokenLabels: tokens.tokenLabels!.slice(0, 3) };
    const tok = new Trainer({ ...base(), model: toyModel("tokens", 1) });
    expect(await asyncMessage(tok.fit(broken))).toBe(
      "Trainer: train tokenLabels has 3 rows, expected 4 (one per row)",
    );
  });
});
