import { type Strategy, TunekitError } from "@tunekit/core";
import type { ConfigFields } from "./config-fields.js";

/**
 * How `loadAdapter` turns an `adapter_config.json` of one PEFT type into a strategy.
 *
 * LoRA and IA3 are built in (`lora/lora-peft.ts`, `ia3/ia3-peft.ts`). To add a type
 * (as `PREFIX_TUNING` and `PROMPT_TUNING` could be), write a handler next to
 * the strategy and either add it to `BUILTIN_PEFT_TYPES` in `peft/load-adapter.ts` or call
 * {@link registerPeftType} once at start-up. The strategy's `apply` must call
 * `recordAdapter` (peft/adapter-record.ts) with the same `peft_type`, the config it
 * would write, and the parameter paths of its file, so that `saveAdapter` can write it
 * and `loadAdapter` can check the file's keys against the freshly applied model.
 *
 * @example
 * ```ts
 * const handler: PeftTypeHandler = {
 *   peftType: "IA3",
 *   knownFields: ["target_modules", "feedforward_modules"],
 *   strategyFromConfig: (fields) => ia3({ targetModules: fields.stringList("target_modules") }),
 * };
 * ```
 */
export interface PeftTypeHandler {
  /** PEFT's `peft_type` value. */
  readonly peftType: string;
  /** Fields this type reads or knowingly ignores; any other field makes a warning. */
  readonly knownFields: readonly string[];
  /** Builds the strategy; throws `CONFIG_INVALID` (via `ConfigFields`) on bad values. */
  strategyFromConfig(fields: ConfigFields): Strategy;
}

const registered = new Map<string, PeftTypeHandler>();

/**
 * Adds (or replaces) a PEFT type handler used by `loadAdapter`.
 *
 * @example
 * ```ts
 * registerPeftType(prefixTuningPeftType);
 * ```
 */
export function registerPeftType(handler: PeftTypeHandler): void {
  if (!/^[A-Z0-9_]+$/.test(handler.peftType)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `registerPeftType: peftType must be upper-case like PEFT's ("LORA"), got ${JSON.stringify(handler.peftType)}`,
    );
  }
  registered.set(handler.peftType, handler);
}

/**
 * The handlers registered with {@link registerPeftType}.
 *
 * @example
 * ```ts
 * registeredPeftTypes().map((h) => h.peftType);
 * ```
 */
export function registeredPeftTypes(): PeftTypeHandler[] {
  return [...registered.values()];
}

/**
 * Fields every PEFT config has (PeftConfig / PeftConfigMixin) that need no handling.
 *
 * @example
 * ```ts
 * COMMON_PEFT_FIELDS.includes("base_model_name_or_path"); // true
 * ```
 */
export const COMMON_PEFT_FIELDS: readonly string[] = Object.freeze([
  "peft_type",
  "task_type",
  "base_model_name_or_path",
  "revision",
  "inference_mode",
  "auto_mapping",
  "peft_version",
]);
