import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { adamw } from "../optim/adamw.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const backend = createReferenceBackend();
const weights = (m: ReturnType<typeof toyModel>) =>
  new Map(m.namedParameters().map(([n, p]) => [n, Float32Array.from(p.value.data)]));

async function train(seed: number, extra: Partial<TrainerOptions> = {}) {
  const model = toyModel("classification", 5);
  const trainer = new Trainer({
    model,
    backend,
    batchSize: 4,
    maxSteps: 6,
    lr: 1e-3,
    seed,
    padding: { buckets: [8, 16] },
    bucketing: { windowBatches: 2 },
    ...extra,
  });
  await trainer.fit(toyData(24, 3, "classification"));
  return weights(model);
}

describe("Trainer determinism", () => {
  it("the same seed gives bit-identical weights (shuffling, bucketing and dropout on); another seed does not", async () => {
    const a = await train(7);
    const b = await train(7);
    const c = await train(8);
    let differs = false;
    for (const [name, w] of a) {
      expect(b.get(name)).toEqual(w); // bit-exact
      const wc = c.get(name)!;
      if (wc.some((v, i) => v !== w[i])) differs = true;
    }
    expect(differs).toBe(true);
  });

  it("gradient accumulation of 2 × batch 4 equals one update with batch 8 (within 1e-6, dropout off)", async () => {
    const data = toyData(32, 4, "classification");
    const run = async (batchSize: number, gradientAccumulation: number) => {
      const model = toyModel("classification", 2);
      const trainer = new Trainer({
        model,
        backend,
        batchSize,
        gradientAccumulation,
        maxSteps: 3,
        lr: 1e-2,
        schedule: "constant",
        optimizer: adamw({ weightDecay: 0.01 }),
        clipNorm: 0.5,
        dropout: false,
        padding: "max_length",
        seed: 11,
      });
      await trainer.fit(data);
      return { w: weights(model) };
    };
    const acc = await run(4, 2);
    const big = await run(8, 1);
    let maxDiff = 0;
    let maxMove = 0;
    const start = weights(toyModel("classification", 2));
    for (const [name, w] of big.w) {
      const v = acc.w.get(name)!;
      const s = start.get(name)!;
      for (let i = 0; i < w.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(w[i]! - v[i]!));
        maxMove = Math.max(maxMove, Math.abs(w[i]! - s[i]!));
      }
    }
    expect(maxMove).toBeGreaterThan(1e-3); // training did move the weights
    expect(maxDiff).toBeLessThan(1e-6);
  });
});
