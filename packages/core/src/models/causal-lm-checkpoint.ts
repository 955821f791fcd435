import { readModelConfigJson } from "./causal-lm/decoder-config.js";
import { loadLlamaCheckpoint, saveLlamaCheckpoint } from "./llama/llama-checkpoint.js";
import { isLlamaConfigJson } from "./llama/llama-config.js";
import { LlamaForCausalLM } from "./llama/llama-model.js";
import { loadGpt2Checkpoint, saveGpt2Checkpoint } from "./gpt2/gpt2-checkpoint.js";
import { isGpt2ConfigJson } from "./gpt2/gpt2-config.js";
import type { Gpt2LMHeadModel } from "./gpt2/gpt2-model.js";

/**
 * A causal language model tunekit builds from a Hugging Face folder: a Llama-family model
 * (Llama, Mistral, Qwen2) or GPT-2.
 *
 * @example
 * ```ts
 * const lm: CausalLm = (await loadCausalLmCheckpoint("models/gpt2")).model;
 * ```
 */
export type CausalLm = LlamaForCausalLM | Gpt2LMHeadModel;

/**
 * A loaded causal LM and the Hugging Face `model_type` it was built from.
 *
 * @example
 * ```ts
 * const { model, modelType } = await loadCausalLmCheckpoint(dir);
 * ```
 */
export interface LoadedCausalLm {
  readonly model: CausalLm;
  readonly modelType: string;
}

/**
 * Whether a parsed `config.json` describes a causal LM tunekit builds (Llama family or GPT-2).
 *
 * @example
 * ```ts
 * isCausalLmConfigJson({ model_type: "gpt2" }); // true
 * ```
 */
export function isCausalLmConfigJson(json: unknown): boolean {
  return isLlamaConfigJson(json) || isGpt2ConfigJson(json);
}

/**
 * Loads the causal LM of a Hugging Face folder, by its `config.json`: GPT-2
 * (`loadGpt2Checkpoint`) or a Llama-family model (`loadLlamaCheckpoint`, which also reports
 * an unsupported `model_type` as `CONFIG_INVALID`).
 *
 * @example
 * ```ts
 * const { model } = await loadCausalLmCheckpoint("models/gpt2");
 * ```
 */
export async function loadCausalLmCheckpoint(folder: string): Promise<LoadedCausalLm> {
  const { json } = await readModelConfigJson(folder);
  if (isGpt2ConfigJson(json)) return { model: (await loadGpt2Checkpoint(folder)).model, modelType: "gpt2" };
  const { model, config } = await loadLlamaCheckpoint(folder);
  return { model, modelType: config.modelType };
}

/**
 * Writes a causal LM as a Hugging Face folder (`saveLlamaCheckpoint` or `saveGpt2Checkpoint`).
 *
 * @example
 * ```ts
 * await saveCausalLmCheckpoint(model, "runs/lm/model");
 * ```
 */
export async function saveCausalLmCheckpoint(model: CausalLm, folder: string): Promise<void> {
  if (model instanceof LlamaForCausalLM) await saveLlamaCheckpoint(model, folder);
  else await saveGpt2Checkpoint(model, folder);
}
