import { describe, expect, it } from "vitest";
import { checkGradients } from "../../autodiff/finite-difference.js";
import { grad } from "../../autodiff/grad.js";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { attention } from "../../ir/composites.js";
import { Graph } from "../../ir/graph.js";
import { broadcastTo, reshape, sum } from "../../ir/ops.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import {
  applyRotary,
  causalMaskBias,
  groupedQueryAttention,
  rmsNorm,
  rotaryTables,
  silu,
} from "./decoder-ops.js";

// Finite differences in float64 (checkGradients): max |analytic - numeric| / max(1, |numeric|).
const FD_TOL = 1e-6;

describe("decoder ops: gradients by finite differences", () => {
  it("rmsNorm (x and weight)", () => {
    const r = checkGradients({ x: { shape: [2, 3, 6], range: [-2, 2] }, w: { shape: [6] } }, ({ x, w }) =>
      rmsNorm(x!, w!, 1e-6),
    );
    expect(r.maxError).toBeLessThan(FD_TOL);
  });

  it("silu, including large |x|", () => {
    expect(
      checkGradients({ x: { shape: [4, 5], range: [-8, 8] } }, ({ x }) => silu(x!)).maxError,
    ).toBeLessThan(FD_TOL);
  });

  it("applyRotary on [B, H, S, D]", () => {
    const r = checkGradients({ x: { shape: [1, 2, 5, 6] } }, ({ x }) => applyRotary(x!, 10000));
    expect(r.maxError).toBeLessThan(FD_TOL);
  });

  it("groupedQueryAttention with a causal + padding mask (q, k, v)", () => {
    const r = checkGradients(
      {
        q: { shape: [2, 4, 3, 2] },
        k: { shape: [2, 2, 3, 2] },
        v: { shape: [2, 2, 3, 2] },
        mask: { shape: [2, 3], dtype: "int32", data: [1, 1, 1, 1, 1, 0] },
      },
      ({ q, k, v, mask }) => groupedQueryAttention(q!, k!, v!, causalMaskBias(q!.graph, 3, mask!), 0.7),
    );
    expect(r.maxError).toBeLessThan(FD_TOL);
  });
});

async function run(g: Graph, feeds: Record<string, ReturnType<typeof hostTensor>> = {}) {
  const exe = await createReferenceBackend().compile(g);
  return exe.run(feeds);
}

describe("decoder ops: values", () => {
  it("silu(x) = x / (1 + e^-x) with finite gradients at ±100", async () => {
    const xs = [-100, -20, -1, 0, 0.5, 3, 100];
    const g = new Graph();
    const x = g.input("x", "float32", [xs.length]);
    const y = silu(x);
    g.output("y", y);
    g.output("dx", grad(sum(y), [x])[0]!);
    const out = await run(g, { x: hostTensor("float32", [xs.length], xs) });
    xs.forEach((v, i) => {
      const s = 1 / (1 + Math.exp(-v));
      expect(out.y!.data[i]).toBeCloseTo(v * s, 5);
      expect(out.dx!.data[i]).toBeCloseTo(s * (1 + v * (1 - s)), 5);
    });
  });

  it("rotary tables: cos/sin of position · theta^(-2i/d), repeated over both halves, first sin half negated", () => {
    const { cos, signedSin } = rotaryTables(3, 4, 100);
    const angle = (s: number, i: number): number => s * 100 ** (-(2 * i) / 4);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 2; i++) {
        expect(cos[s * 4 + i]).toBeCloseTo(Math.cos(angle(s, i)), 6);
        expect(cos[s * 4 + 2 + i]).toBeCloseTo(Math.cos(angle(s, i)), 6);
        expect(signedSin[s * 4 + i]).toBeCloseTo(-Math.sin(angle(s, i)), 6);
        expect(signedSin[s * 4 + 2 + i]).toBeCloseTo(Math.sin(angle(s, i)), 6);
      }
    }
    expect(() => rotaryTables(2, 3, 10)).toThrow(/headDim must be even/);
  });

  it("applyRotary rotates each pair (x_i, x_{i+d/2}) by its position's angle", async () => {
    const d = 4;
    const data = [1, 2, 3, 4, -1, 0.5, 2, -3];
    const g = new Graph();
    g.output("y", applyRotary(g.input("x", "float32", [1, 1, 2, d]), 10));
    const y = (await run(g, { x: hostTensor("float32", [1, 1, 2, d], data) })).y!.data;
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < d / 2; i++) {
        const a = s * 10 ** (-(2 * i) / d);
        const x1 = data[s * d + i]!;
        const x2 = data[s * d + i + d / 2]!;
        expect(y[s * d + i]).toBeCloseTo(x1 * Math.cos(a) - x2 * Math.sin(a), 5);
        expect(y[s * d + i + d / 2]).toBeCloseTo(x2 * Math.cos(a) + x1 * Math.sin(a), 5);
      }
    }
  });

  it("causalMaskBias: 0 where j <= i, the key is not padding and within the window; float32 min elsewhere", async () => {
    const g = new Graph();
    g.output("plain", causalMaskBias(g, 3));
    g.output("padded", causalMaskBias(g, 3, g.input("m", "int32", [1, 3])));
    g.output("window", causalMaskBias(g, 3, undefined, 2));
    const out = await run(g, { m: hostTensor("int32", [1, 3], [1, 1, 0]) });
    const allowed = (t: ArrayLike<number>): number[] => Array.from(t, (v) => (v === 0 ? 1 : 0));
    expect(out.plain!.shape).toEqual([1, 1, 3, 3]);
    expect(allowed(out.plain!.data)).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    expect(allowed(out.padded!.data)).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 0]);
    expect(allowed(out.window!.data)).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Math.min(...out.plain!.data)).toBeLessThan(-3e38);
  });

  it("groupedQueryAttention equals attention with each key/value head repeated (repeat_kv)", async () => {
    const g = new Graph();
    const q = g.input("q", "float32", [2, 4, 3, 2]);
    const k = g.input("k", "float32", [2, 2, 3, 2]);
    const v = g.input("v", "float32", [2, 2, 3, 2]);
    const bias = causalMaskBias(g, 3, g.input("m", "int32", [2, 3]));
    const repeat = (t: typeof k) =>
      reshape(broadcastTo(reshape(t, [2, 2, 1, 3, 2]), [2, 2, 2, 3, 2]), [2, 4, 3, 2]);
    g.output("gqa", groupedQueryAttention(q, k, v, bias, 0.5));
    g.output("repeated", attention(q, repeat(k), repeat(v), bias, 0.5));
    const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed));
    const out = await run(g, {
      q: hostTensor("float32", [2, 4, 3, 2], rnd(48, 1)),
      k: hostTensor("float32", [2, 2, 3, 2], rnd(24, 2)),
      v: hostTensor("float32", [2, 2, 3, 2], rnd(24, 3)),
      m: hostTensor("int32", [2, 3], [1, 1, 1, 1, 1, 0]),
    });
    for (const [i, x] of Array.from(out.gqa!.data).entries())
      expect(x).toBeCloseTo(out.repeated!.data[i]!, 6);
  });
});
