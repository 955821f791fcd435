import { crossEntropy } from "../ir/composites.js";
import type { Graph, Tensor } from "../ir/graph.js";
import { add, dropoutMask, matmul, maximum, mul } from "../ir/ops.js";
import type { ForwardContext } from "../modules/module.js";
import { mulberry32 } from "../data/random.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import type { ForwardOutputs, TrainableParameterLike } from "./train-step.js";

/**
 * A two-layer MLP classifier built from raw IR ops, for tests of training steps and
 * trainers: `logits = relu(x W1 + b1) [· dropout] W2 + b2`, cross-entropy against int32 labels.
 * Parameters: `fc1.weight [in, hidden]`, `fc1.bias [hidden]`, `fc2.weight [hidden, classes]`,
 * `fc2.bias [classes]`, initialised from a seeded generator.
 *
 * @example
 * ```ts
 * const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 1 });
 * const runner = new TrainStepRunner({ backend, params: mlp.params, forward: mlp.forward, optimizer: adamw() });
 * ```
 */
export function toyMlp(opts: {
  inputs: number;
  hidden: number;
  classes: number;
  seed: number;
  dropoutRate?: number;
}): {
  params: TrainableParameterLike[];
  forward: (g: Graph, inputs: Record<string, Tensor>, ctx: ForwardContext) => ForwardOutputs;
} {
  const rng = mulberry32(opts.seed);
  const init = (shape: number[], scale: number): HostTensor =>
    hostTensor(
      "float32",
      shape,
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng() * 2 - 1) * scale),
    );
  const p = (name: string, value: HostTensor): TrainableParameterLike => ({ name, value, trainable: true });
  const params = [
    p("fc1.weight", init([opts.inputs, opts.hidden], 1)),
    p("fc1.bias", init([opts.hidden], 0.1)),
    p("fc2.weight", init([opts.hidden, opts.classes], 0.5)),
    p("fc2.bias", init([opts.classes], 0.1)),
  ];
  const [w1, b1, w2, b2] = params as [
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
    TrainableParameterLike,
  ];
  const rate = opts.dropoutRate ?? 0;
  const forward = (g: Graph, inputs: Record<string, Tensor>, ctx: ForwardContext): ForwardOutputs => {
    const x = inputs.x!;
    let h = maximum(add(matmul(x, g.param(w1)), g.param(b1)), 0);
    if (ctx.training && rate > 0 && ctx.seed) h = mul(h, dropoutMask(ctx.seed, h.shape, rate));
    const logits = add(matmul(h, g.param(w2)), g.param(b2));
    const labels = inputs.labels;
    return labels ? { loss: crossEntropy(logits, labels), logits } : { logits };
  };
  return { params, forward };
}

/**
 * A toy two-class data set for {@link toyMlp}: points in `[-1, 1]²`, labelled 1 when
 * `x0 · x1 > 0` (XOR-like), as `{ x: float32 [n, 2], labels: int32 [n] }`.
 *
 * @example
 * ```ts
 * const batch = toyXorBatch(16, 3);
 * ```
 */
export function toyXorBatch(n: number, seed: number): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  const x = Array.from({ length: n * 2 }, () => rng() * 2 - 1);
  const labels = Array.from({ length: n }, (_, i) => (x[2 * i]! * x[2 * i + 1]! > 0 ? 1 : 0));
  return { x: hostTensor("float32", [n, 2], x), labels: hostTensor("int32", [n], labels) };
}
