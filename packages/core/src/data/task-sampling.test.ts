import { describe, expect, it } from "vitest";
import { TunekitError } from "../errors.js";
import { mixtureEpochBatches, taskSamplingProbabilities } from "./task-sampling.js";

const SIZES = [20_000, 5_000, 1_000, 200];
const close = (got: number[], want: number[], tol: number): void => {
  expect(got.length).toBe(want.length);
  for (const [i, g] of got.entries()) expect(Math.abs(g - want[i]!)).toBeLessThan(tol);
};

describe("taskSamplingProbabilities", () => {
  it("gives the issue's check values at T=1 and T=10 (to 3 decimals)", () => {
    close(
      taskSamplingProbabilities(SIZES, { strategy: "temperature", temperature: 1 }),
      [0.763, 0.191, 0.038, 0.008],
      6e-4,
    );
    close(
      taskSamplingProbabilities(SIZES, { strategy: "temperature", temperature: 10 }),
      [0.308, 0.268, 0.229, 0.195],
      6e-4,
    );
    close(taskSamplingProbabilities(SIZES, { strategy: "proportional" }), [0.763, 0.191, 0.038, 0.008], 6e-4);
  });

  it("uniform, T = Infinity and the cap", () => {
    close(taskSamplingProbabilities(SIZES, { strategy: "uniform" }), [0.25, 0.25, 0.25, 0.25], 1e-12);
    close(
      taskSamplingProbabilities(SIZES, { strategy: "temperature", temperature: Infinity }),
      [0.25, 0.25, 0.25, 0.25],
      1e-12,
    );
    // K = 1000: the two large tasks count as 1000 each
    close(
      taskSamplingProbabilities(SIZES, { strategy: "proportional", cap: 1000 }),
      [1000 / 3200, 1000 / 3200, 1000 / 3200, 200 / 3200],
      1e-12,
    );
  });

  it("annealed: alpha = 1 - 0.8 (e-1)/(E-1), proportional first, n^0.2 last", () => {
    const first = taskSamplingProbabilities(SIZES, { strategy: "annealed" }, { epoch: 0, epochs: 5 });
    close(first, taskSamplingProbabilities(SIZES, { strategy: "proportional" }), 1e-12);
    const last = taskSamplingProbabilities(SIZES, { strategy: "annealed" }, { epoch: 4, epochs: 5 });
    close(last, taskSamplingProbabilities(SIZES, { strategy: "temperature", temperature: 5 }), 1e-12);
    const mid = taskSamplingProbabilities(SIZES, { strategy: "annealed" }, { epoch: 2, epochs: 5 });
    close(mid, taskSamplingProbabilities(SIZES, { strategy: "temperature", temperature: 1 / 0.6 }), 1e-12);
  });

  it("refuses bad options and empty tasks with typed errors", () => {
    const bad = (f: () => unknown, re: RegExp): void => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TunekitError);
      expect((err as Error).message).toMatch(re);
    };
    bad(() => taskSamplingProbabilities([]), /no tasks/);
    bad(() => taskSamplingProbabilities([10, 0]), /task 1 has 0 training rows/);
    bad(() => taskSamplingProbabilities([10], { temperature: 0 }), /temperature must be > 0/);
    bad(() => taskSamplingProbabilities([10], { cap: 0.5 }), /cap must be a positive integer/);
    bad(() => taskSamplingProbabilities([10], { strategy: "zipf" as never }), /expected one of/);
  });
});

describe("mixtureEpochBatches", () => {
  const sizes = [300, 60, 12];
  const taskOf = (g: number): number => (g < 300 ? 0 : g < 360 ? 1 : 2);

  it("per-task batches hold one task; task frequencies follow the probabilities", () => {
    const o = {
      batchSize: 4,
      seed: 7,
      epochs: 1,
      sampling: { strategy: "temperature", temperature: 2 },
    } as const;
    const counts = [0, 0, 0];
    let batches = 0;
    for (let epoch = 0; epoch < 40; epoch++) {
      for (const b of mixtureEpochBatches(sizes, { ...o, epoch })) {
        const t = taskOf(b[0]!);
        for (const g of b) expect(taskOf(g)).toBe(t);
        counts[t]!++;
        batches++;
      }
    }
    expect(batches).toBe(40 * Math.ceil(372 / 4));
    const p = taskSamplingProbabilities(sizes, o.sampling);
    // binomial std at 3,720 draws is below 0.009; allow 4 std
    for (const [t, c] of counts.entries()) expect(Math.abs(c / batches - p[t]!)).toBeLessThan(0.035);
  });

  it("mixed batches draw each row's task on its own", () => {
    const batches = mixtureEpochBatches(sizes, {
      batchSize: 16,
      seed: 3,
      epoch: 0,
      epochs: 1,
      batching: "mixed",
      sampling: { strategy: "uniform" },
    });
    const mixedCount = batches.filter((b) => new Set(Array.from(b, taskOf)).size > 1).length;
    expect(mixedCount).toBeGreaterThan(batches.length * 0.9);
  });

  it("is a pure function of seed and epoch; a task's stream covers every row before repeating", () => {
    const o = {
      batchSize: 5,
      seed: 11,
      epochs: 2,
      batching: "mixed",
      sampling: { strategy: "uniform" },
    } as const;
    const a = mixtureEpochBatches(sizes, { ...o, epoch: 1 });
    expect(mixtureEpochBatches(sizes, { ...o, epoch: 1 })).toEqual(a);
    expect(mixtureEpochBatches(sizes, { ...o, epoch: 0 })).not.toEqual(a);
    const small = a.flatMap((b) => Array.from(b)).filter((g) => taskOf(g) === 2);
    expect(small.length).toBeGreaterThan(12);
    expect(new Set(small.slice(0, 12)).size).toBe(12);
  });

  it("the cap shortens the epoch", () => {
    const o = { batchSize: 10, seed: 1, epoch: 0, epochs: 1 };
    expect(mixtureEpochBatches(sizes, o)).toHaveLength(38);
    expect(mixtureEpochBatches(sizes, { ...o, sampling: { cap: 50 } })).toHaveLength(12);
  });
});
