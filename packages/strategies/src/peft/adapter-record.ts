import type { HostTensor, Module, Strategy } from "@tunekit/core";

/**
 * What `saveAdapter` needs to know about an adapted model, recorded by the strategy's
 * `apply`: the PEFT type, the body of `adapter_config.json`, and the paths of the
 * parameters the adapter file holds (adapter weights and `modules_to_save` copies).
 *
 * The other strategies (prefix / prompt tuning, bottleneck adapters) call
 * {@link recordAdapter} at the end of their `apply` in the same way.
 *
 * @example
 * ```ts
 * recordAdapter(adapted, { peftType: "LORA", strategy: this, config, parameterPaths });
 * ```
 */
export interface AdapterRecord {
  /** PEFT's `peft_type` (`LORA`, `IA3`, …). */
  readonly peftType: string;
  /** The strategy that made the model. */
  readonly strategy: Strategy;
  /** `adapter_config.json` fields (PEFT names). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Model paths of the parameters the adapter file stores, in model order. */
  readonly parameterPaths: readonly string[];
}

const records = new WeakMap<Module, AdapterRecord>();

/**
 * Marks `model` as made by an adapter strategy (see {@link AdapterRecord}).
 *
 * @example
 * ```ts
 * recordAdapter(adapted, { peftType: "IA3", strategy, config, parameterPaths });
 * ```
 */
export function recordAdapter(model: Module, record: AdapterRecord): void {
  records.set(model, record);
}

/**
 * The {@link AdapterRecord} of an adapted model, if a strategy recorded one.
 *
 * @example
 * ```ts
 * adapterRecordOf(lora({ r: 8 }).apply(model))?.peftType; // "LORA"
 * ```
 */
export function adapterRecordOf(model: Module): AdapterRecord | undefined {
  return records.get(model);
}

/**
 * Prefix of every key of a PEFT adapter file (the PeftModel wrapper's path).
 *
 * @example
 * ```ts
 * `${PEFT_KEY_PREFIX}classifier.weight`; // "base_model.model.classifier.weight"
 * ```
 */
export const PEFT_KEY_PREFIX = "base_model.model.";

/**
 * The tensors of the adapter file of an adapted model, under PEFT's keys
 * (`base_model.model.<path>`, no adapter name). Throws when the model has no record.
 *
 * @example
 * ```ts
 * Object.keys(adapterTensors(adapted)); // ["base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", ...]
 * ```
 */
export function adapterTensors(model: Module, record: AdapterRecord): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const path of record.parameterPaths) out[PEFT_KEY_PREFIX + path] = model.getParameter(path).value;
  return out;
}
