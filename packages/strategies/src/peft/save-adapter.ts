import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Module, TunekitError } from "@tunekit/core";
import { writeFileAtomic, writeSafetensors } from "@tunekit/core/io";
import { type AdapterRecord, adapterRecordOf, adapterTensors } from "./adapter-record.js";

/**
 * File name of a PEFT adapter's config.
 *
 * @example
 * ```ts
 * join(dir, ADAPTER_CONFIG_FILE); // ".../adapter_config.json"
 * ```
 */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";
/**
 * File name of a PEFT adapter's weights.
 *
 * @example
 * ```ts
 * join(dir, ADAPTER_WEIGHTS_FILE); // ".../adapter_model.safetensors"
 * ```
 */
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";

/**
 * Options of {@link saveAdapter}.
 *
 * @example
 * ```ts
 * const o: SaveAdapterOptions = { baseModelNameOrPath: "prajjwal1/bert-tiny" };
 * ```
 */
export interface SaveAdapterOptions {
  /** Written as `base_model_name_or_path` (PEFT uses it to find the base model). */
  readonly baseModelNameOrPath?: string;
}

/**
 * What {@link saveAdapter} wrote.
 *
 * @example
 * ```ts
 * const { weightsBytes } = await saveAdapter(adapted, dir);
 * ```
 */
export interface SavedAdapter {
  readonly configPath: string;
  readonly weightsPath: string;
  /** Size of `adapter_model.safetensors` in bytes. */
  readonly weightsBytes: number;
  /** The tensor keys written. */
  readonly keys: readonly string[];
}

/**
 * The `adapter_config.json` text and `adapter_model.safetensors` bytes of an adapted
 * model, without writing them (see {@link saveAdapter}).
 *
 * @example
 * ```ts
 * const { weights } = serializeAdapter(adapted); // weights.byteLength = adapter file size
 * ```
 */
export function serializeAdapter(
  model: Module,
  options: SaveAdapterOptions = {},
): { config: string; weights: Uint8Array; keys: string[]; record: AdapterRecord } {
  const record = adapterRecordOf(model);
  if (!record) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `saveAdapter: this ${model.constructor.name} was not made by an adapter strategy (lora, ia3, …); ` +
        "pass the model returned by strategy.apply(model) or loadAdapter(...). Save fully fine-tuned or merged models with saveBertCheckpoint",
    );
  }
  const config = {
    ...record.config,
    ...(options.baseModelNameOrPath === undefined
      ? {}
      : { base_model_name_or_path: options.baseModelNameOrPath }),
    inference_mode: true,
  };
  const tensors = adapterTensors(model, record);
  return {
    config: `${JSON.stringify(config, null, 2)}\n`,
    weights: writeSafetensors(tensors, { format: "pt" }),
    keys: Object.keys(tensors),
    record,
  };
}

/**
 * Writes a PEFT adapter folder for a model made by an adapter strategy (LoRA, rsLoRA,
 * DoRA, IA3, …): `adapter_config.json` (PEFT's fields: `peft_type`, `task_type`, `r`,
 * `lora_alpha`, `target_modules`, …) and `adapter_model.safetensors` with PEFT's keys
 * (`base_model.model.<module path>.lora_A.weight`, no adapter name; the head under
 * `base_model.model.classifier.*`). Files are written atomically; the folder is created.
 *
 * @example
 * ```ts
 * const adapted = lora({ r: 8, alpha: 16 }).apply(model);
 * // ... train ...
 * await saveAdapter(adapted, "./out/adapter");
 * ```
 */
export async function saveAdapter(
  model: Module,
  dir: string,
  options: SaveAdapterOptions = {},
): Promise<SavedAdapter> {
  const { config, weights, keys } = serializeAdapter(model, options);
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  await writeFileAtomic(weightsPath, weights);
  await writeFileAtomic(configPath, config);
  return { configPath, weightsPath, weightsBytes: weights.byteLength, keys };
}
