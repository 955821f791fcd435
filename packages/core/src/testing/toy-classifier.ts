import { crossEntropy, gelu, layerNorm } from "../ir/composites.js";
import type { Graph, Tensor } from "../ir/graph.js";
import { add, matmul } from "../ir/ops.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import type { TrainableParameterLike } from "../train/train-step.js";

/** Seeded values in [-scale, scale). */
function seeded(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/**
 * A small classifier for tests of training on a backend: a frozen input projection
 * (`proj.weight [4, 8]`), layerNorm, a gelu residual block and a linear head (3 classes), with
 * seeded parameters (fresh objects on every call) and a cross-entropy `loss`. Feed it
 * {@link toyClassifierBatch}.
 *
 * @example
 * ```ts
 * const { params, forward } = toyClassifier();
 * const runner = new TrainStepRunner({ backend, params, forward, optimizer: adamw() });
 * await runner.step(toyClassifierBatch(0), { lr: 0.01 });
 * ```
 */
export function toyClassifier() {
  const p = (name: string, shape: number[], seed: number, trainable = true): TrainableParameterLike => ({
    name,
    value: hostTensor(
      "float32",
      shape,
      seeded(
        shape.reduce((a, b) => a * b, 1),
        seed,
        0.5,
      ),
    ),
    trainable,
  });
  const params = [
    p("proj.weight", [4, 8], 1, false),
    p("ln.weight", [8], 2),
    p("ln.bias", [8], 3),
    p("fc.weight", [8, 8], 4),
    p("head.weight", [3, 8], 5),
    p("head.bias", [3], 6),
  ];
  const [proj, lnW, lnB, fc, head, headB] = params as [
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
  ];
  const forward = (g: Graph, x: Record<string, Tensor>) => {
    const h = layerNorm(matmul(x.x!, g.param(proj)), g.param(lnW), g.param(lnB), 1e-5);
    const z = add(h, gelu(matmul(h, g.param(fc))));
    const logits = add(matmul(z, g.param(head), { transposeB: true }), g.param(headB));
    return { loss: crossEntropy(logits, x.labels!), logits };
  };
  return { params, forward };
}

/**
 * A six-row batch for {@link toyClassifier} (`x` float32 [6, 4], `labels` int32 [6], one row
 * ignored with -100), seeded.
 *
 * @example
 * ```ts
 * const batch = toyClassifierBatch(3);
 * ```
 */
export const toyClassifierBatch = (seed: number): Record<string, HostTensor> => ({
  x: hostTensor("float32", [6, 4], seeded(24, seed, 1)),
  labels: hostTensor("int32", [6], [0, 1, 2, 1, -100, 0]),
});
