import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { MetricTracker } from "./early-stopping.js";
import { Trainer } from "./trainer.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

describe("MetricTracker", () => {
  it("max mode with minDelta: only changes larger than minDelta improve; counts evaluations since the best", () => {
    const t = new MetricTracker("max", 0.01);
    expect(t.update(0.5, 1)).toBe(true);
    expect(t.update(0.505, 2)).toBe(false); // +0.005 <= minDelta
    expect(t.sinceBest).toBe(1);
    expect(t.update(0.52, 3)).toBe(true);
    expect([t.best, t.bestStep, t.sinceBest]).toEqual([0.52, 3, 0]);
    expect(t.update(Number.NaN, 4)).toBe(false);
    expect(t.toJSON()).toEqual({ best: 0.52, bestStep: 3, sinceBest: 1 });
  });

  it("NaN and ±Infinity are never the best, not even as the first value", () => {
    const loss = new MetricTracker("min");
    expect(loss.update(Number.NaN, 1)).toBe(false);
    expect(loss.update(Number.NEGATIVE_INFINITY, 2)).toBe(false);
    expect(loss.best).toBeUndefined();
    expect(loss.update(0.7, 3)).toBe(true);
    expect(loss.update(Number.NaN, 4)).toBe(false);
    const acc = new MetricTracker("max");
    expect(acc.update(Number.POSITIVE_INFINITY, 1)).toBe(false);
    expect(acc.update(0.5, 2)).toBe(true);
    expect(acc.update(Number.POSITIVE_INFINITY, 3)).toBe(false);
    expect([acc.best, acc.bestStep, acc.sinceBest]).toEqual([0.5, 2, 1]);
  });

  it("min mode; restore() continues from a saved state", () => {
    const t = new MetricTracker("min");
    t.restore({ best: 0.3, bestStep: 10, sinceBest: 2 });
    expect(t.update(0.3, 11)).toBe(false);
    expect(t.sinceBest).toBe(3);
    expect(t.update(0.29, 12)).toBe(true);
    expect(t.bestStep).toBe(12);
  });
});

describe("Trainer early stopping", () => {
  it("stops after `patience` evaluations without improvement (lr 0: nothing improves after the first)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-es-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const trainer = new Trainer({
      checkpoints: { dir, atEpochEnd: false },
      model: toyModel("classification", 1),
      backend: createReferenceBackend(),
      batchSize: 8,
      maxSteps: 20,
      lr: 0,
      schedule: "constant",
      evaluation: { everySteps: 2 },
      earlyStopping: { patience: 2, metric: "loss" },
    });
    const result = await trainer.fit(toyData(32, 1, "classification"), {
      evalData: toyData(8, 2, "classification"),
    });
    expect(result.stopReason).toBe("early-stopping");
    expect(result.evaluations.map((e) => e.step)).toEqual([2, 4, 6]);
    expect(result.step).toBe(6);
    expect(result.best?.step).toBe(2);
    // evaluations that do not improve write no checkpoint: the best (2) and the final one (6)
    expect((await readdir(dir)).sort()).toEqual(["checkpoint-2", "checkpoint-6"]);
  });

  it("keeps training while the metric improves (patience never reached)", async () => {
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend: createReferenceBackend(),
      batchSize: 8,
      maxSteps: 8,
      lr: 3e-3,
      schedule: "constant",
      dropout: false,
      evaluation: { everySteps: 2 },
      earlyStopping: { patience: 1, metric: "loss", mode: "min" },
    });
    const result = await trainer.fit(toyData(32, 1, "classification"), {
      evalData: toyData(16, 2, "classification"),
    });
    const losses = result.evaluations.map((e) => e.loss);
    expect(losses.every((l, i) => i === 0 || l < losses[i - 1]!)).toBe(true);
    expect(result.stopReason).toBe("max-steps");
    expect(result.step).toBe(8);
  });
});
