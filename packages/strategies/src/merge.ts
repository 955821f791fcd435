import type { Backend, HostTensor, Module } from "@tunekit/core";
import { type AnyBertModel, cloneModuleTree, traceForward } from "@tunekit/core/models";
import { Ia3Linear } from "./ia3/ia3-linear.js";
import { LoraLinear } from "./lora/lora-linear.js";

function adapterLayers(model: Module): [string, LoraLinear | Ia3Linear][] {
  return model
    .namedModules()
    .filter(
      (e): e is [string, LoraLinear | Ia3Linear] => e[1] instanceof LoraLinear || e[1] instanceof Ia3Linear,
    );
}

/**
 * Folds every LoRA / DoRA / IA3 layer of `model` into its weight, in place (PEFT's
 * `merge_adapter`): LoRA `W + scale·B·A`; DoRA `(m/‖W + scale·B·A‖_row)·(W + scale·B·A)`;
 * IA3 scales W's rows and the bias (output scaling) or W's columns (feed-forward). The
 * merged weights are NEW Parameter objects: the base model's are never changed, so
 * {@link unmergeAdapter} restores them exactly. Returns the merged module paths.
 *
 * @example
 * ```ts
 * mergeAdapter(adapted); // inference without the low-rank branch
 * unmergeAdapter(adapted); // back to training
 * ```
 */
export function mergeAdapter(model: Module): string[] {
  const layers = adapterLayers(model);
  for (const [, layer] of layers) layer.merge();
  return layers.map(([path]) => path);
}

/**
 * Undoes {@link mergeAdapter}: every adapter layer uses the base weights and its adapter
 * again. Returns the unmerged module paths.
 *
 * @example
 * ```ts
 * unmergeAdapter(adapted);
 * ```
 */
export function unmergeAdapter(model: Module): string[] {
  const layers = adapterLayers(model);
  for (const [, layer] of layers) layer.unmerge();
  return layers.map(([path]) => path);
}

/**
 * A new plain model with every adapter folded in (PEFT's `merge_and_unload`): adapter
 * layers become `Linear`s with merged weights, `modules_to_save` heads keep their trained
 * values, and no adapter parameters remain, so `saveBertCheckpoint` writes a plain Hugging
 * Face checkpoint. `model` itself is left as it was.
 *
 * @example
 * ```ts
 * const plain = mergeAndUnload(adapted);
 * await saveBertCheckpoint(plain, "./merged");
 * ```
 */
export function mergeAndUnload<M extends Module>(model: M): M {
  const out = cloneModuleTree(model);
  for (const [path, layer] of adapterLayers(out)) out.setSubmodule(path, layer.toMergedLinear());
  for (const p of out.parameters()) p.trainable = false;
  return out;
}

/**
 * Runs two BERT models on the same probe batch (`input_ids`, `attention_mask`,
 * `token_type_ids`, int32 `[B, S]`) and returns the largest absolute difference of their
 * first output (`logits`, or `last_hidden_state`) — e.g. an adapted model against its
 * merged copy.
 *
 * @example
 * ```ts
 * const diff = await maxOutputDifference(adapted, mergeAndUnload(adapted), backend, probe);
 * ```
 */
export async function maxOutputDifference(
  a: AnyBertModel,
  b: AnyBertModel,
  backend: Backend,
  batch: Readonly<Record<string, HostTensor>>,
): Promise<number> {
  const [ya, yb] = [await probeOutput(a, backend, batch), await probeOutput(b, backend, batch)];
  let worst = 0;
  for (let i = 0; i < ya.length; i++) worst = Math.max(worst, Math.abs(ya[i]! - yb[i]!));
  return worst;
}

/**
 * Merges the adapters of `model` in place on a probe batch and reports the largest
 * absolute difference between the merged and unmerged outputs, then unmerges (the model is
 * left unmerged, exactly as it was). Use it to check a merge before exporting with
 * {@link mergeAndUnload}.
 *
 * @example
 * ```ts
 * const { maxAbsDifference } = await checkMerge(adapted, backend, probe); // e.g. 1e-7
 * ```
 */
export async function checkMerge(
  model: AnyBertModel,
  backend: Backend,
  batch: Readonly<Record<string, HostTensor>>,
): Promise<{ mergedPaths: string[]; maxAbsDifference: number }> {
  const before = await probeOutput(model, backend, batch);
  const mergedPaths = mergeAdapter(model);
  try {
    const after = await probeOutput(model, backend, batch);
    let worst = 0;
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(before[i]! - after[i]!));
    return { mergedPaths, maxAbsDifference: worst };
  } finally {
    unmergeAdapter(model);
  }
}

/**
 * The first output of a BERT forward pass on `batch` (eval mode) as float32 values.
 *
 * @example
 * ```ts
 * const logits = await probeOutput(model, backend, { input_ids, attention_mask, token_type_ids });
 * ```
 */
export async function probeOutput(
  model: AnyBertModel,
  backend: Backend,
  batch: Readonly<Record<string, HostTensor>>,
): Promise<ArrayLike<number>> {
  const ids = batch.input_ids!;
  const { graph, outputs } = traceForward(model, { batchSize: ids.shape[0]!, seqLength: ids.shape[1]! });
  const name = Object.keys(outputs)[0]!;
  // bind the parameters the graph reads (a merged model still holds unused adapter weights)
  const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
  const exe = await backend.compile(graph, { constants });
  try {
    const feeds: Record<string, HostTensor> = {};
    for (const k of ["input_ids", "attention_mask", "token_type_ids"]) if (batch[k]) feeds[k] = batch[k];
    return (await exe.run(feeds))[name]!.data;
  } finally {
    exe.dispose();
  }
}
