import { describe, expect, it } from "vitest";
import { maskTokensForMlm } from "./mlm-masking.js";
import { mulberry32 } from "./random.js";

const CLS = 2;
const SEP = 3;
const MASK = 4;
const base = { maskId: MASK, vocabSize: 50, specialIds: [0, 1, CLS, SEP, MASK] };

function rowOf(n: number, offset: number): Int32Array {
  return Int32Array.from([CLS, ...Array.from({ length: n }, (_, i) => 5 + ((i + offset) % 45)), SEP]);
}

describe("maskTokensForMlm", () => {
  it("labels are the original ids at the picked positions; specials and padding are never picked", () => {
    const rows = [rowOf(20, 0), rowOf(7, 3), rowOf(1, 9)];
    const batch = maskTokensForMlm(rows, { ...base, rng: mulberry32(1), seqLength: 24 });
    const m = batch.masked_positions.shape[0]! / 3;
    expect(batch.input_ids.shape).toEqual([3, 24]);
    expect(m).toBe(Math.ceil(0.15 * 24));
    const picked = [3, 1, 1]; // round(0.15 * n), at least 1
    for (let r = 0; r < 3; r++) {
      const row = rows[r]!;
      let real = 0;
      for (let i = 0; i < m; i++) {
        const pos = batch.masked_positions.data[r * m + i]!;
        const label = batch.labels.data[r * m + i]!;
        expect(Math.floor(pos / 24)).toBe(r);
        if (label === -100) {
          expect(pos).toBe(r * 24);
          continue;
        }
        real++;
        const t = pos - r * 24;
        expect(t).toBeGreaterThan(0);
        expect(t).toBeLessThan(row.length - 1);
        expect(label).toBe(row[t]);
      }
      expect(real).toBe(picked[r]);
      for (let t = 0; t < 24; t++) {
        expect(batch.attention_mask.data[r * 24 + t]).toBe(t < row.length ? 1 : 0);
        if (t >= row.length) expect(batch.input_ids.data[r * 24 + t]).toBe(0);
      }
    }
  });

  it("replaces about 80% by [MASK], 10% by random ordinary ids, keeps 10% (50,000 picks)", () => {
    const rows = Array.from({ length: 500 }, (_, i) => rowOf(100, i));
    const batch = maskTokensForMlm(rows, { ...base, rng: mulberry32(7) });
    let masked = 0;
    let kept = 0;
    let replaced = 0;
    let total = 0;
    batch.labels.data.forEach((label, i) => {
      if (label === -100) return;
      total++;
      const now = batch.input_ids.data[batch.masked_positions.data[i]!]!;
      if (now === MASK) masked++;
      else if (now === label) kept++;
      else {
        replaced++;
        expect(base.specialIds).not.toContain(now);
      }
    });
    expect(total).toBe(500 * 15);
    // Binomial standard deviations at n = 7,500: 0.46% (80%) and 0.35% (10%); 5 sigma bounds.
    expect(Math.abs(masked / total - 0.8)).toBeLessThan(0.025);
    // A random replacement draws the original id 1 time in 45, so "kept" is 10% + 10%/45.
    expect(Math.abs(kept / total - (0.1 + 0.1 / 45))).toBeLessThan(0.018);
    expect(Math.abs(replaced / total - (0.1 - 0.1 / 45))).toBeLessThan(0.018);
    // Unpicked positions are untouched.
    const pickedSet = new Set(Array.from(batch.masked_positions.data));
    rows.forEach((row, r) => {
      row.forEach((id, t) => {
        if (!pickedSet.has(r * 102 + t)) expect(batch.input_ids.data[r * 102 + t]).toBe(id);
      });
    });
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const rows = [rowOf(30, 0), rowOf(30, 5)];
    const a = maskTokensForMlm(rows, { ...base, rng: mulberry32(3) });
    const b = maskTokensForMlm(rows, { ...base, rng: mulberry32(3) });
    const c = maskTokensForMlm(rows, { ...base, rng: mulberry32(4) });
    expect(a.input_ids.data).toEqual(b.input_ids.data);
    expect(a.masked_positions.data).toEqual(b.masked_positions.data);
    expect(a.masked_positions.data).not.toEqual(c.masked_positions.data);
  });

  it("rejects bad options and ids with typed errors", () => {
    const rng = mulberry32(0);
    expect(() => maskTokensForMlm([], { ...base, rng })).toThrow(/no rows/);
    expect(() => maskTokensForMlm([rowOf(3, 0)], { ...base, rng, probability: 1.5 })).toThrow(
      /probability must be in \[0, 1\], got 1.5/,
    );
    expect(() => maskTokensForMlm([rowOf(3, 0)], { ...base, rng, maskShare: 0.8, randomShare: 0.3 })).toThrow(
      /at most 1/,
    );
    expect(() => maskTokensForMlm([Int32Array.from([2, 99, 3])], { ...base, rng })).toThrow(
      /row 0 position 1 has id 99, outside \[0, 50\)/,
    );
    expect(() => maskTokensForMlm([rowOf(10, 0)], { ...base, rng, seqLength: 5 })).toThrow(
      /has 12 tokens but seqLength is 5/,
    );
  });
});
