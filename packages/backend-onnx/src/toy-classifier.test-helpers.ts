import * as tk from "@tunekit/core/ir";
import type * as trainer from "@tunekit/core/trainer";
import { f32, i32 } from "./onnx.test-helpers.js";

/** Deterministic pseudo-random floats in [-scale, scale). */
export function values(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** A small MLP classifier (layerNorm, gelu, frozen input projection) and its parameters. */
export function model() {
  const p = (
    name: string,
    shape: number[],
    seed: number,
    trainable = true,
  ): trainer.TrainableParameterLike => ({
    name,
    value: f32(
      shape,
      values(
        shape.reduce((a, b) => a * b, 1),
        seed,
        0.5,
      ),
    ),
    trainable,
  });
  const params = [
    p("proj.weight", [4, 8], 1, false), // frozen: bound as a constant (initializer)
    p("ln.weight", [8], 2),
    p("ln.bias", [8], 3),
    p("fc.weight", [8, 8], 4),
    p("head.weight", [3, 8], 5),
    p("head.bias", [3], 6),
  ];
  const [proj, lnW, lnB, fc, head, headB] = params as [
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
  ];
  const forward = (g: tk.Graph, inputs: Record<string, tk.Tensor>) => {
    const h = tk.layerNorm(tk.matmul(inputs.x!, g.param(proj)), g.param(lnW), g.param(lnB), 1e-5);
    const z = tk.add(h, tk.gelu(tk.matmul(h, g.param(fc))));
    const logits = tk.add(tk.matmul(z, g.param(head), { transposeB: true }), g.param(headB));
    return { loss: tk.crossEntropy(logits, inputs.labels!), logits };
  };
  return { params, forward };
}

/** A six-row batch of the small MLP classifier (one row ignored by the loss). */
export const batch = (seed: number) => ({
  x: f32([6, 4], values(24, seed, 1)),
  labels: i32([6], [0, 1, 2, 1, -100, 0]),
});
