import { type BertForSequenceClassification, type HostTensor, hostTensor, type Tensor } from "@tunekit/core";
import { type Float64Tensor, Graph } from "@tunekit/core/ir";
import { normalTensor } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/** Test support: a traced HyperFormer forward with inputs named like the batch feeds. */
export interface HyperTrace {
  readonly graph: Graph;
  readonly logits: Tensor;
  readonly loss: Tensor;
}

/**
 * Traces `model` on `[b, s]` inputs `input_ids`, `attention_mask`, `token_type_ids`,
 * `labels` and (unless `taskIds` is false) `task_ids` int32 `[b]`, passed to the modules in
 * `ctx.batch` the way the train and eval step builders do. Outputs `logits` and `loss`.
 */
export function traceHyper(
  model: BertForSequenceClassification,
  b: number,
  s: number,
  taskIds = true,
): HyperTrace {
  const g = new Graph();
  const batch: Record<string, Tensor> = {
    input_ids: g.input("input_ids", "int32", [b, s]),
    attention_mask: g.input("attention_mask", "int32", [b, s]),
    token_type_ids: g.input("token_type_ids", "int32", [b, s]),
    labels: g.input("labels", "int32", [b]),
  };
  if (taskIds) batch.task_ids = g.input("task_ids", "int32", [b]);
  const out = model.forward(
    {
      inputIds: batch.input_ids!,
      attentionMask: batch.attention_mask,
      tokenTypeIds: batch.token_type_ids,
      labels: batch.labels,
    },
    { training: false, batch },
  );
  g.output("logits", out.logits);
  g.output("loss", out.loss!);
  return { graph: g, logits: out.logits, loss: out.loss! };
}

/** int32 task ids. */
export function taskIds(ids: readonly number[]): HostTensor {
  return hostTensor("int32", [ids.length], Int32Array.from(ids));
}

/** Sets every parameter under `prefix` (trainable or not) to normal(0, std) values. */
export function randomizeUnder(
  model: { namedParameters(): [string, { value: HostTensor }][] },
  prefix: RegExp,
  seed: number,
  std: number,
): void {
  const rng = mulberry32(seed);
  for (const [path, p] of model.namedParameters()) {
    if (prefix.test(path)) p.value = normalTensor(p.value.shape, rng, std);
  }
}

/** A float64 copy of a host tensor with element `i` moved by `delta`. */
export function nudged(t: HostTensor, i: number, delta: number): Float64Tensor {
  const data = Float64Array.from(t.data as ArrayLike<number>);
  data[i] = data[i]! + delta;
  return { dtype: t.dtype, shape: t.shape, data };
}
