import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { adamw } from "../optim/adamw.js";
import { planFit } from "./fit-plan.js";
import type { TrainerOptions } from "./trainer-options.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const train = toyData(40, 1, "classification"); // 5 batches of 8
const base: TrainerOptions = {
  model: toyModel("classification", 1),
  backend: createReferenceBackend(),
  batchSize: 8,
};
const plan = (extra: Partial<TrainerOptions>) =>
  planFit({ ...base, ...extra }, adamw().config, train, "classification");

describe("planFit", () => {
  it("total updates are min(maxSteps, epochs × updates per epoch); leftover micro-batches are skipped", () => {
    expect(plan({ epochs: 3 })).toMatchObject({
      updatesPerEpoch: 5,
      totalSteps: 15,
      epochs: 3,
      limitReason: "epochs",
    });
    expect(plan({ epochs: 3, maxSteps: 7 })).toMatchObject({
      totalSteps: 7,
      epochs: 2,
      limitReason: "max-steps",
    });
    expect(plan({ epochs: 1, maxSteps: 70 })).toMatchObject({ totalSteps: 5, limitReason: "epochs" });
    // 5 batches, accumulation 2: 2 updates per epoch (the 5th batch is skipped)
    expect(plan({ epochs: 2, gradientAccumulation: 2 })).toMatchObject({ updatesPerEpoch: 2, totalSteps: 4 });
    expect(plan({ maxSteps: 3, lastBatch: "drop", batchSize: 16 })).toMatchObject({ updatesPerEpoch: 2 });
  });

  it("builds the named schedule with warm-up from warmupRatio (rounded up)", () => {
    const p = plan({ maxSteps: 10, lr: 1, schedule: "linear", warmupRatio: 0.25 });
    expect(p.hashed.warmupSteps).toBe(3);
    expect([0, 1, 3, 10].map((s) => p.schedule(s))).toEqual([0, 1 / 3, 1, 0]);
    const c = plan({ maxSteps: 10, lr: 1, schedule: "cosine" });
    expect(c.schedule(5)).toBeCloseTo(0.5, 12);
    expect(plan({ maxSteps: 10, lr: 2, schedule: "constant" }).schedule(9)).toBe(2);
    const custom = (s: number) => 1 / (s + 1);
    const own = plan({ maxSteps: 10, schedule: custom });
    expect([own.schedule, own.scheduleName]).toEqual([custom, "custom"]);
  });

  it("hashes what changes the run, not key order or callbacks", () => {
    const a = plan({ maxSteps: 10, seed: 1 });
    expect(plan({ seed: 1, maxSteps: 10, onProgress: () => {} }).hash).toBe(a.hash);
    expect(plan({ maxSteps: 10, seed: 2 }).hash).not.toBe(a.hash);
    expect(plan({ maxSteps: 11, seed: 1 }).hash).not.toBe(a.hash);
    expect(plan({ maxSteps: 10, seed: 1, clipNorm: 1 }).hash).not.toBe(a.hash);
    expect(Object.keys(a.hashed).sort()).toEqual(
      [
        "batchSize",
        "bucketing",
        "clipNorm",
        "dropout",
        "gradientAccumulation",
        "lastBatch",
        "lr",
        "optimizer",
        "padding",
        "schedule",
        "seed",
        "task",
        "totalSteps",
        "trainRows",
        "trainTokens",
        "warmupSteps",
      ].sort(),
    );
  });
});
