import { grad } from "@tunekit/core/autodiff";
import * as tk from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { lowerGraph } from "./lower.js";
import { expectClose, f32, i32, runOnnx } from "./onnx.test-helpers.js";

// x [2, 3], w [2, 3] (used as wᵀ), bias [2]: y = x·wᵀ + bias, by hand.
const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
const w = f32([2, 3], [1, 0, -1, 0.5, 0.5, 0.5]);
const bias = f32([2], [10, -10]);
const want = [1 - 3 + 10, 3 - 10, 4 - 6 + 10, 7.5 - 10];

const linear = (g: tk.Graph, extraUse: boolean) => {
  const mm = tk.matmul(g.input("x", "float32", [2, 3]), g.input("w", "float32", [2, 3]), {
    transposeB: true,
  });
  const y = tk.add(mm, g.input("b", "float32", [2]));
  return extraUse ? { y, z: tk.mul(mm, 2) } : { y };
};

describe("Gemm + bias fusion", () => {
  it("add(matmul(x, wᵀ), b) is one Gemm node with the bias as C, values by hand", async () => {
    const m = lowerGraph(tk.trace((g) => linear(g, false)));
    expect(m.onnxNodeCount).toBe(1);
    const r = await runOnnx((g) => linear(g, false), { x, w, b: bias });
    expectClose(r.y, [2, 2], want);
  });

  it("bias first, [1, N] bias and transposeA fuse too", async () => {
    const fn = (g: tk.Graph) => {
      const xt = g.input("xt", "float32", [3, 2]);
      const mm = tk.matmul(xt, g.input("w", "float32", [2, 3]), { transposeA: true, transposeB: true });
      return { y: tk.add(tk.reshape(g.input("b", "float32", [2]), [1, 2]), mm) };
    };
    const xt = f32([3, 2], [1, 4, 2, 5, 3, 6]);
    expect(lowerGraph(tk.trace(fn)).onnxNodeCount).toBe(2); // Reshape + Gemm
    expectClose((await runOnnx(fn, { xt, w, b: bias })).y, [2, 2], want);
  });

  it("a matmul with another use or a requested output keeps its own node", async () => {
    const m = lowerGraph(tk.trace((g) => linear(g, true)));
    expect(m.onnxNodeCount).toBe(3); // Gemm, Add, Mul
    const r = await runOnnx((g) => linear(g, true), { x, w, b: bias });
    expectClose(r.y, [2, 2], want);
    expectClose(r.z, [2, 2], [-4, 6, -4, 15]);
    const asOutput = (g: tk.Graph) => {
      const mm = tk.matmul(g.input("x", "float32", [2, 3]), g.input("w", "float32", [2, 3]), {
        transposeB: true,
      });
      return { mm, y: tk.add(mm, g.input("b", "float32", [2])) };
    };
    expect(lowerGraph(tk.trace(asOutput)).onnxNodeCount).toBe(2);
  });

  it("a bias that does not broadcast one way to [M, N] is a plain Add", () => {
    const fn = (g: tk.Graph) => {
      const mm = tk.matmul(g.input("x", "float32", [2, 3]), g.input("w", "float32", [3, 1]));
      return { y: tk.add(mm, g.input("b", "float32", [2, 4])) };
    };
    expect(lowerGraph(tk.trace(fn)).onnxNodeCount).toBe(2);
  });
});

describe("softmax − one-hot fusion (the cross-entropy gradient)", () => {
  // 4 rows × 3 classes; labels: in range, -100 (ignored), 3 (out of range), 0.
  const logits = f32([4, 3], [1, 2, 3, 0, 0, 0, -1, 5, 2, 0.5, -0.5, 1.5]);
  const labels = i32([4], [2, -100, 3, 0]);
  const softmaxRow = (r: number[]) => {
    const e = r.map((v) => Math.exp(v - Math.max(...r)));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  const want = [0, 1, 2, 3].flatMap((i) => {
    const p = softmaxRow(Array.from(logits.data.slice(3 * i, 3 * i + 3)));
    const label = labels.data[i]!;
    return p.map((v, j) => v - (j === label ? 1 : 0));
  });
  const fn = (g: tk.Graph, extraUse: boolean) => {
    const oh = tk.oneHot(g.input("labels", "int32", [4]), 3);
    const d = tk.sub(tk.softmax(g.input("x", "float32", [4, 3]), 1), oh);
    return extraUse ? { d, oh } : { d };
  };

  it("is one ScatterElements into the softmax, values by hand (ignored and out-of-range rows unchanged)", async () => {
    const m = lowerGraph(tk.trace((g) => fn(g, false)));
    const text = new TextDecoder("latin1").decode(m.bytes);
    expect(text).toContain("ScatterElements");
    expect(text).not.toMatch(/\bSub\b/);
    const r = await runOnnx((g) => fn(g, false), { x: logits, labels });
    expectClose(r.d, [4, 3], want);
  });

  it("a one-hot with another use is still emitted, and the result is the same", async () => {
    const r = await runOnnx((g) => fn(g, true), { x: logits, labels });
    expectClose(r.d, [4, 3], want);
    expectClose(r.oh, [4, 3], [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it("crossEntropy's gradient through the fusion matches the reference backend", async () => {
    const fwd = (g: tk.Graph) => {
      const x = g.input("x", "float32", [4, 3]);
      const loss = tk.crossEntropy(x, g.input("labels", "int32", [4]));
      const [dx] = grad(loss, [x]);
      return { loss, dx: dx! };
    };
    const valid = i32([4], [2, -100, 1, 0]); // the reference refuses out-of-range labels
    const ref = await (await tk.createReferenceBackend().compile(tk.trace(fwd))).run({
      x: logits,
      labels: valid,
    });
    const onnx = await runOnnx(fwd, { x: logits, labels: valid });
    expect(new TextDecoder("latin1").decode(lowerGraph(tk.trace(fwd)).bytes)).toContain("ScatterElements");
    expectClose(onnx.loss, [], Array.from(ref.loss!.data));
    expectClose(onnx.dx, [4, 3], Array.from(ref.dx!.data));
  });
});

describe("scatterAdd into an add", () => {
  // table [4, 2] + rows of u at ids (1 twice, 3 once), by hand
  const table = f32([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  const u = f32([3, 2], [10, 20, 30, 40, 50, 60]);
  const ids = i32([3], [1, 3, 1]);
  const want = [1, 2, 3 + 10 + 50, 4 + 20 + 60, 5, 6, 7 + 30, 8 + 40];
  const fn = (scatterFirst: boolean, extraUse: boolean) => (g: tk.Graph) => {
    const s = tk.scatterAdd(g.input("ids", "int32", [3]), g.input("u", "float32", [3, 2]), [4, 2]);
    const t = g.input("t", "float32", [4, 2]);
    const y = scatterFirst ? tk.add(s, t) : tk.add(t, s);
    return extraUse ? { y, s } : { y };
  };

  it.each([false, true])(
    "add(x, scatterAdd) writes the summed rows into x (scatter first: %s), values by hand",
    async (first) => {
      const fused = lowerGraph(tk.trace(fn(first, false)));
      const separate = lowerGraph(tk.trace(fn(first, true)), { outputs: ["y"] });
      // no zero table and no table-sized Add: fewer nodes than the scatter on its own plus an Add
      const alone = lowerGraph(tk.trace(fn(first, true)));
      expect(fused.onnxNodeCount).toBeLessThan(alone.onnxNodeCount);
      expect(separate.onnxNodeCount).toBe(fused.onnxNodeCount);
      expectClose((await runOnnx(fn(first, false), { t: table, u, ids })).y, [4, 2], want);
    },
  );

  it("a scatter with another use (here a requested output) keeps its own zero table", async () => {
    const r = await runOnnx(fn(false, true), { t: table, u, ids });
    expectClose(r.y, [4, 2], want);
    expectClose(r.s, [4, 2], [0, 0, 60, 80, 0, 0, 30, 40]);
  });
});

describe("scatterAdd into an add whose other addend is a matrix product", () => {
  it("fuses the scatter (the product stays a node of its own, not a Gemm with the scatter as C)", async () => {
    const fn = (g: tk.Graph) => {
      const mm = tk.matmul(g.input("a", "float32", [2, 4]), g.input("h", "float32", [2, 2]), {
        transposeA: true,
      });
      const s = tk.scatterAdd(g.input("ids", "int32", [3]), g.input("u", "float32", [3, 2]), [4, 2]);
      return { y: tk.add(mm, s) };
    };
    const a = f32([2, 4], [1, 0, 2, 0, 0, 1, 0, 3]);
    const h = f32([2, 2], [1, 2, 3, 4]);
    // aᵀ·h = [[1, 2], [3, 4], [2, 4], [9, 12]]; rows 1 += 10+50, 20+60; row 3 += 30, 40
    const r = await runOnnx(fn, { a, h, u: f32([3, 2], [10, 20, 30, 40, 50, 60]), ids: i32([3], [1, 3, 1]) });
    expectClose(r.y, [4, 2], [1, 2, 63, 84, 2, 4, 39, 52]);
  });
});
