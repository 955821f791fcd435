import type { Backend, Executable } from "../backend/backend.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { type KvCacheLayer, StaticKvCache } from "../models/llama/kv-cache.js";
import type { GenerationForwardInputs, GenerationSpec } from "../models/llama/llama-model.js";
import type { ForwardContext } from "../modules/module.js";
import type { Module } from "../modules/module.js";
import { stateDict } from "../modules/state-dict.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * A causal language model `generate` can run: a module with
 * `forwardGeneration(inputs, ctx)` returning next-token logits `[B, V]` and a
 * {@link GenerationSpec}. `LlamaForCausalLM` (and Mistral / Qwen2) are; so is the same model
 * with LoRA or other adapters applied.
 *
 * @example
 * ```ts
 * const lm: GenerativeModel = (await loadLlamaCheckpoint("models/tiny")).model;
 * ```
 */
export interface GenerativeModel extends Module {
  readonly generationSpec: GenerationSpec;
  forwardGeneration(inputs: GenerationForwardInputs, ctx?: ForwardContext): Tensor;
}

/** Names of the cache feeds and outputs of layer `i`. */
export const pastName = (i: number, kind: "key" | "value"): string => `past.${i}.${kind}`;
/** Names of the updated cache outputs of layer `i`. */
export const presentName = (i: number, kind: "key" | "value"): string => `present.${i}.${kind}`;

/**
 * The generation graphs of one model on one backend, traced and compiled once per shape and
 * cached: a whole-sequence forward (`[B, L]` → logits `[B, V]`, the no-cache path and the
 * prefill, which also returns the cache of `capacity` slots) and a one-token decode step over
 * a static cache. The model's parameters are bound as constants (their values at the first
 * compile).
 *
 * @example
 * ```ts
 * const graphs = new GenerationGraphs(model, backend);
 * const { logits } = await graphs.sequence(batch.sequenceFeeds(16));
 * graphs.dispose();
 * ```
 */
export class GenerationGraphs {
  private readonly model: GenerativeModel;
  private readonly backend: Backend;
  private readonly cache = new Map<string, Promise<Executable>>();
  private constants: Record<string, HostTensor> | undefined;

  constructor(model: GenerativeModel, backend: Backend) {
    this.model = model;
    this.backend = backend;
  }

  /** Shape signatures compiled so far (`sequence:B:L`, `prefill:B:L:C`, `decode:B:C`). */
  get compiledSignatures(): string[] {
    return [...this.cache.keys()];
  }

  /** A whole-sequence forward; with `capacity`, a prefill that also returns the cache. */
  async sequence(
    feeds: Record<string, HostTensor>,
    capacity?: number,
  ): Promise<{ logits: HostTensor; cache: KvCacheLayerValues[] }> {
    const [b, s] = feeds.input_ids!.shape as [number, number];
    const key = capacity === undefined ? `sequence:${b}:${s}` : `prefill:${b}:${s}:${capacity}`;
    const exe = await this.compiled(key, (g) => {
      const inputs = {
        inputIds: g.input("input_ids", "int32", [b, s]),
        attentionMask: g.input("attention_mask", "int32", [b, s]),
        positionIds: g.input("position_ids", "int32", [b, s]),
        logitIndex: g.input("logit_index", "int32", [b]),
      };
      const cache = capacity === undefined ? undefined : StaticKvCache.prefill(capacity);
      g.output("logits", this.model.forwardGeneration({ ...inputs, cache }));
      if (cache) outputCache(g, cache.present);
    });
    const out = await exe.run(feeds);
    return {
      logits: out.logits!,
      cache: capacity === undefined ? [] : readCache(out, this.model.generationSpec),
    };
  }

  /** One decode step of one token per row over the cache `past` (from the prefill or the last step). */
  async decode(
    feeds: Record<string, HostTensor>,
    past: readonly KvCacheLayerValues[],
  ): Promise<{ logits: HostTensor; cache: KvCacheLayerValues[] }> {
    const spec = this.model.generationSpec;
    const [b, c] = feeds.cache_mask!.shape as [number, number];
    const exe = await this.compiled(`decode:${b}:${c}`, (g) => {
      const shape = [b, spec.numKeyValueHeads, c, spec.headDim];
      const layers: KvCacheLayer[] = [];
      for (let i = 0; i < spec.numLayers; i++) {
        layers.push({
          keys: g.input(pastName(i, "key"), "float32", shape),
          values: g.input(pastName(i, "value"), "float32", shape),
        });
      }
      const cache = StaticKvCache.decode(
        layers,
        g.input("cache_position", "int32", [b]),
        g.input("cache_mask", "int32", [b, c]),
      );
      const logits = this.model.forwardGeneration({
        inputIds: g.input("input_ids", "int32", [b, 1]),
        positionIds: g.input("position_ids", "int32", [b, 1]),
        logitIndex: g.input("logit_index", "int32", [b]),
        cache,
      });
      g.output("logits", logits);
      outputCache(g, cache.present);
    });
    const all: Record<string, HostTensor> = { ...feeds };
    past.forEach((l, i) => {
      all[pastName(i, "key")] = l.keys;
      all[pastName(i, "value")] = l.values;
    });
    const out = await exe.run(all);
    return { logits: out.logits!, cache: readCache(out, spec) };
  }

  /** Releases every compiled executable. */
  async dispose(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const p of all) (await p).dispose();
  }

  private compiled(key: string, build: (g: Graph) => void): Promise<Executable> {
    let exe = this.cache.get(key);
    if (!exe) {
      const g = new Graph();
      build(g);
      this.constants ??= stateDict(this.model);
      exe = this.backend.compile(g, { constants: this.constants });
      this.cache.set(key, exe);
    }
    return exe;
  }
}

/**
 * One layer's cache values on the host, float32 `[B, kvHeads, capacity, headDim]`.
 *
 * @example
 * ```ts
 * const layer: KvCacheLayerValues = { keys: out["present.0.key"], values: out["present.0.value"] };
 * ```
 */
export interface KvCacheLayerValues {
  readonly keys: HostTensor;
  readonly values: HostTensor;
}

function outputCache(g: Graph, present: readonly KvCacheLayer[]): void {
  present.forEach((l, i) => {
    g.output(presentName(i, "key"), l.keys);
    g.output(presentName(i, "value"), l.values);
  });
}

function readCache(out: Record<string, HostTensor>, spec: GenerationSpec): KvCacheLayerValues[] {
  const layers: KvCacheLayerValues[] = [];
  for (let i = 0; i < spec.numLayers; i++) {
    layers.push({ keys: out[presentName(i, "key")]!, values: out[presentName(i, "value")]! });
  }
  return layers;
}
