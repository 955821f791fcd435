import { BertForTokenClassification, LlamaForCausalLM, type Module } from "@tunekit/core";

/**
 * PEFT's `task_type` of an adapter saved from `model`: `CAUSAL_LM` for a causal language
 * model (Llama / Mistral / Qwen2), `TOKEN_CLS` for token classification, `SEQ_CLS` otherwise
 * (sequence classification, and the BERT encoders LoRA and IA3 adapt). PEFT picks its
 * `PeftModelFor…` class by it when loading.
 *
 * @example
 * ```ts
 * adapterTaskType(new LlamaForCausalLM(parseLlamaConfig(json))); // "CAUSAL_LM"
 * ```
 */
export function adapterTaskType(model: Module): "CAUSAL_LM" | "TOKEN_CLS" | "SEQ_CLS" {
  if (model instanceof LlamaForCausalLM) return "CAUSAL_LM";
  if (model instanceof BertForTokenClassification) return "TOKEN_CLS";
  return "SEQ_CLS";
}

/**
 * The `task_type` and `modules_to_save` fields of an adapter config for `model`: a causal LM
 * has no head to save, so `modules_to_save` is `null` unless a listed module exists in it.
 *
 * @example
 * ```ts
 * const fields = adapterTaskFields(model, injected.savedModulePaths, ["classifier"]);
 * ```
 */
export function adapterTaskFields(
  model: Module,
  savedModulePaths: readonly string[],
  modulesToSave: readonly string[],
): { task_type: string; modules_to_save: string[] | null } {
  const task = adapterTaskType(model);
  const keep = modulesToSave.length > 0 && (task !== "CAUSAL_LM" || savedModulePaths.length > 0);
  return { task_type: task, modules_to_save: keep ? [...modulesToSave] : null };
}
