import { type Module, TunekitError } from "@tunekit/core";
import { adapterRecordOf } from "../peft/adapter-record.js";
import { loadAdapter } from "../peft/load-adapter.js";
import { saveAdapter } from "../peft/save-adapter.js";
import { prefixTunedEncoderOf } from "../prefix/prefix-tuning.js";
import { loadPromptLearningAdapter, savePromptLearningAdapter } from "../prompt/prompt-learning-peft.js";
import { promptEmbeddingsOf } from "../prompt/prompt-tuning.js";
import { BOTTLENECK_FORMAT, loadBottleneckAdapter, saveBottleneckAdapter } from "./adapter-file.js";
import { adapterSites } from "./adapter-site.js";
import { FUSION_FORMAT, loadAdapterFusion } from "./fusion-file.js";
import { readAdapterConfigJson } from "../peft/adapter-folder-io.js";

/**
 * The kinds of adapter folder {@link loadAdapterFolder} recognises from `adapter_config.json`.
 *
 * @example
 * ```ts
 * const kind: AdapterFolderKind = "peft-prompt-learning";
 * ```
 */
export type AdapterFolderKind = "peft" | "peft-prompt-learning" | "tunekit-bottleneck" | "tunekit-fusion";

/**
 * Which loader an `adapter_config.json` needs: PEFT `PREFIX_TUNING` / `PROMPT_TUNING`,
 * another PEFT type (LoRA, IA3: `loadAdapter`), or tunekit's bottleneck / fusion
 * formats.
 *
 * @example
 * ```ts
 * adapterFolderKind({ peft_type: "PREFIX_TUNING" }); // "peft-prompt-learning"
 * ```
 */
export function adapterFolderKind(config: unknown): AdapterFolderKind {
  const o = (typeof config === "object" && config !== null ? config : {}) as Record<string, unknown>;
  if (o.format === BOTTLENECK_FORMAT) return "tunekit-bottleneck";
  if (o.format === FUSION_FORMAT) return "tunekit-fusion";
  if (o.peft_type === "PREFIX_TUNING" || o.peft_type === "PROMPT_TUNING") return "peft-prompt-learning";
  return "peft";
}

/**
 * Loads any adapter folder tunekit writes into `model`: PEFT LoRA / IA3 (`loadAdapter`),
 * PEFT prefix / prompt tuning (`loadPromptLearningAdapter`), `tunekit-bottleneck/1`
 * (`loadBottleneckAdapter`) or `tunekit-fusion/1` (`loadAdapterFusion`), chosen from
 * `adapter_config.json`.
 *
 * @example
 * ```ts
 * const adapted = await loadAdapterFolder(model, "out/adapter");
 * ```
 */
export async function loadAdapterFolder<M extends Module>(model: M, dir: string): Promise<M> {
  const { json } = await readAdapterConfigJson(dir);
  switch (adapterFolderKind(json)) {
    case "tunekit-bottleneck":
      return loadBottleneckAdapter(model, dir);
    case "tunekit-fusion":
      return loadAdapterFusion(model, dir);
    case "peft-prompt-learning":
      return loadPromptLearningAdapter(model, dir);
    default:
      return loadAdapter(model, dir);
  }
}

/**
 * Saves the adapter of a model made by any tunekit adapter strategy: prefix / prompt tuning
 * as PEFT folders, bottleneck adapters as `tunekit-bottleneck/1` (the model must hold one
 * adapter, or pass `name`), LoRA / IA3 as PEFT folders (`saveAdapter`).
 *
 * @example
 * ```ts
 * await saveAdapterFolder(adapted, "out/adapter");
 * ```
 */
export async function saveAdapterFolder(
  model: Module,
  dir: string,
  options: { name?: string; baseModelNameOrPath?: string; tokenizerNameOrPath?: string } = {},
): Promise<{ configPath: string; weightsPath: string; keys: readonly string[] }> {
  const base =
    options.baseModelNameOrPath === undefined ? {} : { baseModelNameOrPath: options.baseModelNameOrPath };
  if (prefixTunedEncoderOf(model) || promptEmbeddingsOf(model)) {
    const tok = options.tokenizerNameOrPath;
    return savePromptLearningAdapter(model, dir, {
      ...base,
      ...(tok === undefined ? {} : { tokenizerNameOrPath: tok }),
    });
  }
  if (adapterRecordOf(model)) return saveAdapter(model, dir, base);
  if (adapterSites(model).length > 0) {
    return saveBottleneckAdapter(model, dir, {
      ...base,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
  }
  throw new TunekitError(
    "INVALID_ARGUMENT",
    `saveAdapterFolder: this ${model.constructor.name} carries no adapter (no LoRA/IA3 record, prefix, prompt or bottleneck adapter); save full fine-tunes with saveBertCheckpoint`,
  );
}
