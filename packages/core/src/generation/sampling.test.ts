import { describe, expect, it } from "vitest";
import { mulberry32 } from "../data/random.js";
import { TunekitError } from "../errors.js";
import { argmax, sampleToken, samplingDistribution } from "./sampling.js";

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 12);
};

describe("sampling", () => {
  it("argmax takes the first maximum and ignores NaN", () => {
    expect(argmax([0.1, 2.5, 2.5])).toBe(1);
    expect(argmax([Number.NaN, -1, -3])).toBe(1);
  });

  it("temperature divides the logits before the softmax", () => {
    const l = [Math.log(4), Math.log(2), 0];
    close(samplingDistribution(l, { temperature: 1 }), [4 / 7, 2 / 7, 1 / 7]);
    // T = 0.5 squares the odds: 16 : 4 : 1
    close(samplingDistribution(l, { temperature: 0.5 }), [16 / 21, 4 / 21, 1 / 21]);
  });

  it("top-k keeps the k most likely tokens (lower id on ties) and renormalises", () => {
    const l = [0, Math.log(3), Math.log(3), Math.log(6)];
    close(samplingDistribution(l, { temperature: 1, topK: 2 }), [0, 1 / 3, 0, 2 / 3]);
    close(samplingDistribution(l, { temperature: 1, topK: 1 }), [0, 0, 0, 1]);
  });

  it("top-p keeps the smallest most-likely set whose mass reaches p", () => {
    // probabilities 0.5, 0.3, 0.15, 0.05
    const l = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    close(samplingDistribution(l, { temperature: 1, topP: 0.5 }), [1, 0, 0, 0]);
    close(samplingDistribution(l, { temperature: 1, topP: 0.7 }), [0.5 / 0.8, 0.3 / 0.8, 0, 0]);
    close(samplingDistribution(l, { temperature: 1, topP: 0.9 }), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);
    // top-k first, then top-p on the renormalised top-k: [0.625, 0.375] -> p 0.6 keeps one
    close(samplingDistribution(l, { temperature: 1, topK: 2, topP: 0.6 }), [1, 0, 0, 0]);
  });

  it("draws follow the distribution and the seed", () => {
    const l = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const draw = (seed: number): number[] => {
      const rng = mulberry32(seed);
      return Array.from({ length: 20 }, () => sampleToken(l, { temperature: 1 }, rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
    const rng = mulberry32(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(l, { temperature: 1 }, rng)]!++;
    expect(counts[0]! / 4000).toBeCloseTo(0.5, 1);
    expect(counts[2]! / 4000).toBeCloseTo(0.2, 1);
    // top-k 1 is greedy whatever the draw
    expect(
      Array.from({ length: 10 }, () => sampleToken([1, 3, 2], { temperature: 2, topK: 1 }, rng)),
    ).toEqual(Array(10).fill(1));
  });

  it("refuses out-of-range options with INVALID_ARGUMENT naming the value", () => {
    const bad = [{ temperature: -1 }, { topK: 1.5 }, { topP: 0 }, { topP: 1.2 }];
    for (const o of bad) {
      expect(() => sampleToken([1, 2], { temperature: 1, ...o }, mulberry32(0))).toThrow(TunekitError);
    }
    expect(() => samplingDistribution([1, 2], { topP: 2 })).toThrow(/topP must be in \(0, 1\].*got 2/);
    expect(() => samplingDistribution([1, 2], {})).toThrow(/temperature 0 is greedy/);
  });
});
