import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
import { assignDecoderWeights, readDecoderWeights } from "../causal-lm/decoder-weights.js";
import { stateDict } from "../../modules/state-dict.js";
import type { HostTensor } from "../../tensor/host-tensor.js";
import { type LlamaConfig, llamaConfigToJson, readLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { llamaParameterCount } from "./llama-parameter-count.js";

/**
 * What {@link loadLlamaWeights} did: parameters loaded, and checkpoint entries deliberately
 * not used (`rotary_emb.inv_freq` buffers, an `lm_head.weight` copy of tied embeddings).
 *
 * @example
 * ```ts
 * const { report } = await loadLlamaCheckpoint(dir);
 * console.info(report.loaded.length, "tensors loaded; ignored:", report.ignored);
 * ```
 */
export interface LlamaCheckpointReport {
  readonly loaded: string[];
  readonly ignored: string[];
}

/**
 * Assigns checkpoint tensors (Hugging Face names) to a {@link LlamaForCausalLM}. Keys of a
 * bare `LlamaModel` (without `model.`) are accepted; rotary `inv_freq` buffers and, with tied
 * embeddings, a stored `lm_head.weight` are ignored (reported). Missing parameters,
 * unexpected keys and shape or dtype mismatches throw `CHECKPOINT_MISMATCH` listing every
 * name and shape; nothing is assigned on error.
 *
 * @example
 * ```ts
 * const { tensors } = await readModelWeights(dir);
 * loadLlamaWeights(model, tensors);
 * ```
 */
export function loadLlamaWeights(
  model: LlamaForCausalLM,
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
): LlamaCheckpointReport {
  return assignDecoderWeights(model, tensors, {
    architecture: model.architecture,
    stack: "model",
    ignorable: (key) =>
      /(^|\.)rotary_emb\.inv_freq$/.test(key) ||
      (key === "lm_head.weight" && model.llamaConfig.tieWordEmbeddings),
    toHf: (_, value) => value,
    fromHf: (_, value) => value,
    hint:
      "check that config.json and the weights belong together (sizes, num_key_value_heads, tie_word_embeddings, " +
      "attention biases)",
  });
}

/**
 * A loaded Llama-family causal LM: the model, its parsed config, and what was loaded.
 *
 * @example
 * ```ts
 * const { model, config, report } = await loadLlamaCheckpoint("models/qwen2-tiny");
 * ```
 */
export interface LoadedLlama {
  readonly model: LlamaForCausalLM;
  readonly config: LlamaConfig;
  readonly report: LlamaCheckpointReport;
}

/**
 * Builds a `LlamaForCausalLM` / `MistralForCausalLM` / `Qwen2ForCausalLM` from a Hugging Face
 * folder (`config.json` + `model.safetensors`, sharded safetensors, or `pytorch_model.bin`:
 * see `readModelWeights`; float16 and bfloat16 weights become float32) and loads its
 * weights (see {@link loadLlamaWeights}). The config is validated and the model's size
 * compared with the stored values before anything is allocated; NaN or infinite weights
 * are `CHECKPOINT_INVALID`.
 *
 * @example
 * ```ts
 * const { model } = await loadLlamaCheckpoint("models/smollm2-135m");
 * const { logits } = model.forward({ inputIds }); // [B, S, vocab]
 * ```
 */
export async function loadLlamaCheckpoint(folder: string): Promise<LoadedLlama> {
  const config = await readLlamaConfig(folder);
  const tensors = await readDecoderWeights(folder, config.modelType, llamaParameterCount(config));
  const model = new LlamaForCausalLM(config);
  const report = loadLlamaWeights(model, tensors);
  return { model, config, report };
}

/**
 * Writes `model` as a Hugging Face folder: `config.json` (with `architectures`) and
 * `model.safetensors` with Hugging Face names (no `lm_head.weight` when tied), which
 * {@link loadLlamaCheckpoint} and transformers read back.
 *
 * @example
 * ```ts
 * await saveLlamaCheckpoint(model, "runs/tiny/model");
 * ```
 */
export async function saveLlamaCheckpoint(model: LlamaForCausalLM, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const json = { ...llamaConfigToJson(model.llamaConfig), torch_dtype: "float32" };
  await writeFileAtomic(join(folder, "config.json"), `${JSON.stringify(json, null, 2)}\n`);
  await writeSafetensorsFile(join(folder, "model.safetensors"), stateDict(model), { format: "pt" });
}
