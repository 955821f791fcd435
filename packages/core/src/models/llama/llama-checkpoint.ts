import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { assertFiniteWeights } from "../../io/finite-check.js";
import { readModelWeights } from "../../io/model-weights.js";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
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

const describe = (t: HostTensor): string => `${t.dtype}[${t.shape.join(", ")}]`;

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
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const params = new Map(model.namedParameters());
  const assign = new Map<string, { key: string; value: HostTensor }>();
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const mismatched: string[] = [];
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    const target = [key, `model.${key}`].find((n) => params.has(n));
    if (target === undefined) {
      const ignorable =
        /(^|\.)rotary_emb\.inv_freq$/.test(key) ||
        (key === "lm_head.weight" && model.llamaConfig.tieWordEmbeddings);
      if (ignorable) ignored.push(key);
      else unexpected.push(`${key} ${describe(value)}`);
      continue;
    }
    const previous = assign.get(target);
    if (previous) {
      unexpected.push(`${key} ${describe(value)} (duplicate of ${previous.key}, both name ${target})`);
      continue;
    }
    seen.add(target);
    const p = params.get(target)!;
    if (describe(p.value) !== describe(value)) {
      mismatched.push(`${key}: checkpoint has ${describe(value)}, model expects ${describe(p.value)}`);
      continue;
    }
    assign.set(target, { key, value });
  }
  const missing = [...params]
    .filter(([name]) => !seen.has(name))
    .map(([name, p]) => `${name} ${describe(p.value)}`);
  if (missing.length + unexpected.length + mismatched.length > 0) {
    const lines = [`checkpoint does not match the ${model.architecture}:`];
    if (missing.length) lines.push(`  missing (${missing.length}):`, ...missing.map((m) => `    ${m}`));
    if (unexpected.length)
      lines.push(`  unexpected (${unexpected.length}):`, ...unexpected.map((m) => `    ${m}`));
    if (mismatched.length)
      lines.push(`  shape mismatch (${mismatched.length}):`, ...mismatched.map((m) => `    ${m}`));
    lines.push(
      "check that config.json and the weights belong together (sizes, num_key_value_heads, tie_word_embeddings, " +
        "attention biases)",
    );
    throw new TunekitError("CHECKPOINT_MISMATCH", lines.join("\n"), {
      details: { missing, unexpected, mismatched },
    });
  }
  for (const [name, { value }] of assign) params.get(name)!.value = value;
  return { loaded: [...assign.keys()], ignored };
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
  const { tensors, file } = await readModelWeights(folder);
  assertFiniteWeights(tensors, join(folder, file));
  let stored = 0;
  for (const t of tensors.values()) stored += t.data.length;
  const needed = llamaParameterCount(config);
  if (needed > 4 * stored + 1_000_000) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${join(folder, "config.json")} describes a ${config.modelType} model of ${needed} parameters, but ` +
        `${join(folder, file)} holds only ${stored} values; check that config.json and ${file} belong together`,
    );
  }
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
