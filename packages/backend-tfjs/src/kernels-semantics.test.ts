import { type HostTensor, hostTensor, type Tensor } from "@tunekit/core";
import {
  cast,
  concat,
  full,
  type Graph,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  pow,
  sign,
  sum,
} from "@tunekit/core/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTfjsBackend, type TfjsBackend } from "./index.js";
import { mismatch, runOnce } from "./tfjs.test-helpers.js";

const f32 = (shape: number[], data: number[]) => hostTensor("float32", shape, data);
const i32 = (shape: number[], data: number[]) => hostTensor("int32", shape, data);

/**
 * IR rules where TF.js differs from the spec on some engine (NaN propagation, C-like int32
 * pow, empty reductions, matMul batch broadcasting, the wasm split-matmul path), checked
 * against hand-computed values.
 */
const CASES: Record<
  string,
  { build: (g: Graph) => Tensor; feeds: Record<string, HostTensor>; expected: HostTensor }
> = {
  "NaN propagates through maximum/minimum (either side) and sign": {
    build: (g) => {
      const a = g.input("a", "float32", [3]);
      const b = g.input("b", "float32", [3]);
      return concat([maximum(a, b), minimum(a, b), sign(a)], 0);
    },
    feeds: { a: f32([3], [Number.NaN, 1, 2]), b: f32([3], [1, Number.NaN, 3]) },
    expected: f32([9], [Number.NaN, Number.NaN, 3, Number.NaN, Number.NaN, 2, Number.NaN, 1, 1]),
  },
  "int32 pow with negative exponents truncates (±1 bases exact)": {
    build: (g) => pow(g.input("a", "int32", [6]), g.input("b", "int32", [6])),
    feeds: { a: i32([6], [2, -1, 1, 0, -2, 3]), b: i32([6], [-1, -3, -2, -1, 3, 2]) },
    expected: i32([6], [0, -1, 1, 0, -8, 9]),
  },
  "reductions over an empty axis: sum 0, mean NaN, max -Infinity": {
    build: (g) => {
      const e = g.input("e", "float32", [2, 0]);
      return concat([sum(e, 1), mean(e, 1), max(e, 1)], 0);
    },
    feeds: { e: f32([2, 0], []) },
    expected: f32([6], [0, 0, Number.NaN, Number.NaN, -Infinity, -Infinity]),
  },
  "max of int32 over an empty axis is -2^31; bool fill is value != 0": {
    build: (g) => concat([max(g.input("e", "int32", [0, 2]), 0), cast(full(g, [1], 2, "bool"), "int32")], 0),
    feeds: { e: i32([0, 2], []) },
    expected: i32([3], [-2147483648, -2147483648, 1]),
  },
  "matmul with batch broadcasting on both sides": {
    // TF.js alone computes only 3 of these 6 products
    build: (g) => matmul(g.input("a", "float32", [2, 1, 1, 2]), g.input("b", "float32", [3, 2, 1])),
    feeds: { a: f32([2, 1, 1, 2], [1, 2, 3, 4]), b: f32([3, 2, 1], [1, 0, 0, 1, 1, 1]) },
    expected: f32([2, 3, 1, 1], [1, 2, 3, 3, 4, 7]),
  },
};

describe.each(["wasm", "cpu"] as const)("tfjs-%s: IR semantics where TF.js differs", (engine) => {
  let backend: TfjsBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend({ engine, log: () => {} });
  });
  afterAll(() => backend.dispose());

  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const { out } = await runOnce(backend, (g) => ({ out: c.build(g) }), c.feeds);
      expect(out!.dtype).toBe(c.expected.dtype);
      expect(out!.shape).toEqual(c.expected.shape);
      expect(mismatch(out!.data, c.expected.data, 1e-6)).toBeUndefined();
    });
  }

  it("matmul: large batched products (split into 2-D products on wasm) with transposes", async () => {
    const [B, M, K, N] = [3, 128, 128, 160]; // M·K·N >= 2^21: the wasm split path
    const av = Float32Array.from({ length: B * K * M }, (_, i) => Math.sin(i * 0.37));
    const bv = Float32Array.from({ length: B * K * N }, (_, i) => Math.cos(i * 0.11));
    // a is stored [B, K, M] (transposeA), b is [B, K, N]
    const ref = new Float32Array(B * M * N);
    for (let t = 0; t < B; t++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += av[t * K * M + k * M + i]! * bv[t * K * N + k * N + j]!;
          ref[t * M * N + i * N + j] = acc;
        }
    const { out } = await runOnce(
      backend,
      (g) => ({
        out: matmul(g.input("a", "float32", [B, K, M]), g.input("b", "float32", [B, K, N]), {
          transposeA: true,
        }),
      }),
      { a: hostTensor("float32", [B, K, M], av), b: hostTensor("float32", [B, K, N], bv) },
    );
    expect(out!.shape).toEqual([B, M, N]);
    expect(mismatch(out!.data, ref, 1e-4)).toBeUndefined();
  });
});
