import * as tk from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { lowerGraph } from "./lower.js";
import { expectClose, f32, runOnnx } from "./onnx.test-helpers.js";

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
