import { join } from "node:path";
import {
  type HostTensor,
  type Module,
  readSafetensorsFile,
  type Strategy,
  TunekitError,
} from "@tunekit/core";
import { IA3_PEFT_TYPE } from "../ia3/ia3-peft.js";
import { LORA_PEFT_TYPE } from "../lora/lora-peft.js";
import { adapterRecordOf, PEFT_KEY_PREFIX } from "./adapter-record.js";
import { ConfigFields } from "./config-fields.js";
import { COMMON_PEFT_FIELDS, type PeftTypeHandler, registeredPeftTypes } from "./peft-types.js";
import { readAdapterConfigText } from "./adapter-folder-io.js";
import { ADAPTER_WEIGHTS_FILE } from "./save-adapter.js";

/**
 * PEFT types `loadAdapter` reads without registration; new built-in handlers go here.
 *
 * @example
 * ```ts
 * BUILTIN_PEFT_TYPES.map((h) => h.peftType); // ["LORA", "IA3"]
 * ```
 */
export const BUILTIN_PEFT_TYPES: readonly PeftTypeHandler[] = [LORA_PEFT_TYPE, IA3_PEFT_TYPE];

/** Largest `adapter_config.json` accepted (bytes). */

/**
 * Options of {@link loadAdapter}.
 *
 * @example
 * ```ts
 * const o: LoadAdapterOptions = { onWarning: (m) => logger.warn(m), trainable: false };
 * ```
 */
export interface LoadAdapterOptions {
  /** Called with each warning (unknown config fields); default `console.warn`. */
  readonly onWarning?: (message: string) => void;
  /** Keep the adapter trainable, to continue training (default true). */
  readonly trainable?: boolean;
}

/**
 * A parsed `adapter_config.json`: the PEFT type, the raw JSON and the strategy it describes.
 *
 * @example
 * ```ts
 * const { peftType, strategy } = await readAdapterConfig("./adapter");
 * ```
 */
export interface AdapterConfig {
  readonly peftType: string;
  readonly json: Readonly<Record<string, unknown>>;
  readonly strategy: Strategy;
  /** Fields no handler knows (each also reported through `onWarning`). */
  readonly unknownFields: readonly string[];
}

function handlers(): PeftTypeHandler[] {
  const byType = new Map<string, PeftTypeHandler>();
  for (const h of [...BUILTIN_PEFT_TYPES, ...registeredPeftTypes()]) byType.set(h.peftType, h);
  return [...byType.values()];
}

/**
 * Parses the text of an `adapter_config.json` (untrusted: every problem is a
 * `CONFIG_INVALID` error naming `source`, the field, and what was expected; unknown fields
 * are reported to `onWarning`, not errors).
 *
 * @example
 * ```ts
 * const cfg = parseAdapterConfig('{"peft_type":"LORA","r":8,"lora_alpha":16}', "adapter_config.json");
 * ```
 */
export function parseAdapterConfig(
  text: string,
  source: string,
  onWarning: (message: string) => void = (m) => console.warn(m),
): AdapterConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source} is not valid JSON (${e instanceof Error ? e.message : String(e)}); expected a PEFT adapter config object`,
      { cause: e },
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source} must hold a JSON object, got ${Array.isArray(json) ? "an array" : typeof json === "object" ? "null" : typeof json}`,
    );
  }
  const obj = json as Record<string, unknown>;
  const all = handlers();
  const type = Object.hasOwn(obj, "peft_type") ? obj.peft_type : undefined;
  const handler = all.find((h) => h.peftType === type);
  if (!handler) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: "peft_type" ${JSON.stringify(type) ?? "is missing"} is not supported; expected one of ` +
        `${all.map((h) => JSON.stringify(h.peftType)).join(", ")}`,
    );
  }
  const fields = new ConfigFields(obj, source);
  const task = fields.string("task_type");
  if (task !== undefined && !["SEQ_CLS", "TOKEN_CLS", "FEATURE_EXTRACTION", "CAUSAL_LM"].includes(task)) {
    onWarning(
      `${source}: task_type "${task}" is not a task of tunekit's models (SEQ_CLS, TOKEN_CLS, FEATURE_EXTRACTION, ` +
        "CAUSAL_LM); loading the adapter weights anyway",
    );
  }
  const known = new Set([...COMMON_PEFT_FIELDS, ...handler.knownFields]);
  const unknownFields = Object.keys(obj).filter((k) => !known.has(k));
  for (const k of unknownFields) {
    onWarning(`${source}: unknown field "${k}" for peft_type ${handler.peftType} is ignored`);
  }
  return {
    peftType: handler.peftType,
    json: obj,
    strategy: handler.strategyFromConfig(fields),
    unknownFields,
  };
}

/**
 * Reads and parses `<dir>/adapter_config.json` (see {@link parseAdapterConfig}).
 *
 * @example
 * ```ts
 * const { strategy } = await readAdapterConfig("./adapter");
 * ```
 */
export async function readAdapterConfig(
  dir: string,
  onWarning?: (message: string) => void,
): Promise<AdapterConfig> {
  const { path, text } = await readAdapterConfigText(dir);
  return parseAdapterConfig(text, path, onWarning);
}

/**
 * Applies an adapter's strategy to `baseModel` and loads its weights (strict): every key of
 * the file must be a parameter of the adapted model (PEFT names, `base_model.model.`
 * prefix), every adapter parameter must be in the file, and shapes must match; otherwise a
 * `CHECKPOINT_MISMATCH` error lists the missing / unexpected names and the shapes.
 *
 * @example
 * ```ts
 * const { model } = await loadBertCheckpoint("./bert-tiny", { task: "sequence-classification" });
 * const adapted = await loadAdapter(model, "./adapter");
 * ```
 */
export async function loadAdapter<M extends Module>(
  baseModel: M,
  dir: string,
  options: LoadAdapterOptions = {},
): Promise<M> {
  const { strategy } = await readAdapterConfig(dir, options.onWarning);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  const { tensors } = await readSafetensorsFile(weightsPath);
  const adapted = strategy.apply(baseModel);
  assignAdapterTensors(adapted, tensors, weightsPath);
  if (options.trainable === false) for (const p of adapted.parameters()) p.trainable = false;
  return adapted;
}

/**
 * Assigns a PEFT adapter file's tensors to an adapted model (strict; see {@link loadAdapter}).
 *
 * @example
 * ```ts
 * assignAdapterTensors(lora({ r: 4 }).apply(model), tensors, "adapter_model.safetensors");
 * ```
 */
export function assignAdapterTensors(
  adapted: Module,
  tensors: ReadonlyMap<string, HostTensor>,
  source: string,
): void {
  const record = adapterRecordOf(adapted);
  if (!record) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "assignAdapterTensors: the model was not made by an adapter strategy",
    );
  }
  const expected = new Map(record.parameterPaths.map((p) => [PEFT_KEY_PREFIX + p, adapted.getParameter(p)]));
  const fmt = (t: { dtype: string; shape: readonly number[] }): string => `${t.dtype}[${t.shape.join(", ")}]`;
  const missing = [...expected.keys()].filter((k) => !tensors.has(k));
  const unexpected = [...tensors.keys()].filter((k) => !expected.has(k));
  const mismatched: string[] = [];
  for (const [key, t] of tensors) {
    const p = expected.get(key);
    if (p && fmt(p.value) !== fmt(t))
      mismatched.push(`${key}: adapter file has ${fmt(t)}, model expects ${fmt(p.value)}`);
  }
  if (missing.length + unexpected.length + mismatched.length > 0) {
    const lines = [`${source} does not match the adapter built from its adapter_config.json:`];
    if (missing.length) lines.push(`  missing (${missing.length}): ${missing.join(", ")}`);
    if (unexpected.length) {
      lines.push(
        `  unexpected (${unexpected.length}): ${unexpected.map((k) => `${k} ${fmt(tensors.get(k)!)}`).join(", ")}`,
      );
    }
    for (const m of mismatched) lines.push(`  shape mismatch: ${m}`);
    lines.push(
      "  check that the adapter was trained on this base model (hidden size, layers, num_labels) and that " +
        "target_modules / r / modules_to_save in adapter_config.json describe the file",
    );
    throw new TunekitError("CHECKPOINT_MISMATCH", lines.join("\n"), {
      details: { missing, unexpected, mismatched },
    });
  }
  for (const [key, p] of expected) p.value = tensors.get(key)!;
}
