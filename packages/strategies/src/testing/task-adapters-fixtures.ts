import {
  type Backend,
  type HostTensor,
  hostTensor,
  type Module,
  type Tensor,
  type TokenizedDataset,
} from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { MultiTaskModel, normalTensor, parseBertConfig, type TaskHeadSpec } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { TINY_BERT_JSON } from "./tiny-bert.js";

/** Test support (not exported): a tiny BERT config without dropout. */
export const TINY_CONFIG = parseBertConfig({
  ...TINY_BERT_JSON,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
});

/** Test support: two tasks, classification and regression. */
export const TWO_TASKS: readonly TaskHeadSpec[] = [
  { name: "sst2", kind: "classification", numLabels: 2 },
  { name: "stsb", kind: "regression" },
];

/** A MultiTaskModel whose base weights are larger than BERT's init, so adapters visibly matter. */
export function tinyMultiTask(seed = 1, tasks: readonly TaskHeadSpec[] = TWO_TASKS): MultiTaskModel {
  const model = new MultiTaskModel(TINY_CONFIG, tasks, { seed });
  const rng = mulberry32(seed + 100);
  for (const [path, p] of model.namedParameters()) {
    if (path.includes("LayerNorm")) continue;
    p.value = normalTensor(p.value.shape, rng, path.endsWith(".bias") ? 0.1 : 0.3);
  }
  return model;
}

/** Sets every task-adapter parameter to random values (IA3 vectors around 1). */
export function randomizeTaskAdapters(model: Module, seed = 7, std = 0.5): void {
  const rng = mulberry32(seed);
  for (const [path, p] of model.namedParameters()) {
    if (!/\.(lora_[AB]|adapters)\.|\.ia3_l\./.test(path)) continue;
    const v = normalTensor(p.value.shape, rng, std);
    if (path.includes(".ia3_l.")) for (let i = 0; i < v.data.length; i++) v.data[i] = v.data[i]! + 1;
    p.value = v;
  }
}

/** int32 tensor from numbers. */
export function int32(shape: number[], values: readonly number[]): HostTensor {
  return hostTensor("int32", shape, Int32Array.from(values));
}

/** A `[b, s]` mixed batch of the two tasks for `MultiTaskModel.forwardBatch` feeds. */
export function mixedFeeds(taskIds: readonly number[], s = 5, seed = 2): Record<string, HostTensor> {
  const b = taskIds.length;
  const rng = mulberry32(seed);
  const ids: number[] = [];
  const mask: number[] = [];
  for (let i = 0; i < b; i++) {
    const len = i % 2 === 1 ? s - 1 : s;
    for (let j = 0; j < s; j++) {
      ids.push(j < len ? 1 + Math.floor(rng() * 23) : 0);
      mask.push(j < len ? 1 : 0);
    }
  }
  return {
    input_ids: int32([b, s], ids),
    attention_mask: int32([b, s], mask),
    token_type_ids: int32([b, s], new Array(b * s).fill(0)),
    task_ids: int32([b], taskIds),
    labels_0: int32(
      [b],
      taskIds.map((t, i) => (t === 0 ? i % 2 : -100)),
    ),
    labels_1: hostTensor(
      "float32",
      [b],
      Float32Array.from(taskIds, (t, i) => (t === 1 ? 0.5 * i - 1 : 0)),
    ),
  };
}

/** Graph inputs named like `feeds`. */
export function graphInputs(g: Graph, feeds: Record<string, HostTensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, g.input(k, v.dtype, [...v.shape])]));
}

/** Compiles `graph` with its parameters as constants on `backend` and runs it once. */
export async function runOnce(
  backend: Backend,
  graph: Graph,
  feeds: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
  const exe = await backend.compile(graph, { constants });
  try {
    const used = Object.fromEntries(Object.entries(feeds).filter(([k]) => graph.inputs.has(k)));
    return await exe.run(used);
  } finally {
    exe.dispose();
  }
}

/** A toy classification (token 7 present) or regression (count of 7s) data set. */
export function toyTaskData(
  n: number,
  seed: number,
  task: "classification" | "regression",
): TokenizedDataset {
  const rng = mulberry32(seed);
  const ids: Int32Array[] = [];
  const labels = task === "regression" ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rng() * 4);
    const row = new Int32Array(len);
    row[0] = 1;
    row[len - 1] = 2;
    let sevens = 0;
    for (let t = 1; t < len - 1; t++) {
      row[t] = rng() < 0.3 ? 7 : 3 + Math.floor(rng() * 20);
      if (row[t] === 7) sevens++;
    }
    ids.push(row);
    labels[i] = task === "regression" ? sevens : sevens > 0 ? 1 : 0;
  }
  return {
    task,
    ids,
    tokenTypeIds: ids.map((r) => new Int32Array(r.length)),
    lengths: Int32Array.from(ids, (r) => r.length),
    labels,
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
  };
}

/** Traces `model.forwardBatch` on graph inputs named like `feeds` (ctx.batch set, as the trainer does). */
export function traceMultiTask(model: MultiTaskModel, feeds: Record<string, HostTensor>) {
  const g = new Graph();
  const inputs = graphInputs(g, feeds);
  const { loss, outputs } = model.forwardBatch(inputs, { training: false, batch: inputs });
  g.output("logits_0", outputs.logits_0!);
  g.output("logits_1", outputs.logits_1!);
  g.output("loss", loss!);
  return { graph: g, loss: loss! };
}

/** Logits of a single-task BERT head model on the BERT inputs of `feeds`. */
export async function singleLogits(
  backend: Backend,
  model: Module,
  feeds: Record<string, HostTensor>,
): Promise<Float32Array> {
  const g = new Graph();
  const t = (k: string): Tensor => g.input(k, "int32", [...feeds[k]!.shape]);
  const head = model as unknown as {
    forward(i: { inputIds: Tensor; attentionMask: Tensor; tokenTypeIds: Tensor }): { logits: Tensor };
  };
  const { logits } = head.forward({
    inputIds: t("input_ids"),
    attentionMask: t("attention_mask"),
    tokenTypeIds: t("token_type_ids"),
  });
  g.output("logits", logits);
  return (await runOnce(backend, g, feeds)).logits!.data as Float32Array;
}
