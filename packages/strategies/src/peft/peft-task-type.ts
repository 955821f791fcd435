import { BertForSequenceClassification, BertForTokenClassification, type Module } from "@tunekit/core";
import { BertModel, Gpt2LMHeadModel, LlamaForCausalLM } from "@tunekit/core/models";

/**
 * PEFT's `task_type` of an adapter saved from `model`, the same for every adapter type (LoRA,
 * IA3, bottleneck adapters, prompt and prefix tuning): `CAUSAL_LM` for a causal language model
 * (Llama / Mistral / Qwen2 / GPT-2, or any model whose `trainerTask` is `causal-lm`),
 * `TOKEN_CLS` for token classification, `FEATURE_EXTRACTION` for a bare encoder (`BertModel`),
 * `SEQ_CLS` otherwise (sequence classification). PEFT picks its `PeftModelFor…` class by it
 * when loading.
 *
 * @example
 * ```ts
 * adapterTaskType(new LlamaForCausalLM(parseLlamaConfig(json))); // "CAUSAL_LM"
 * ```
 */
export function adapterTaskType(model: Module): "CAUSAL_LM" | "TOKEN_CLS" | "SEQ_CLS" | "FEATURE_EXTRACTION" {
  const task = (model as { readonly trainerTask?: unknown }).trainerTask;
  if (model instanceof LlamaForCausalLM || model instanceof Gpt2LMHeadModel || task === "causal-lm") {
    return "CAUSAL_LM";
  }
  if (model instanceof BertForTokenClassification) return "TOKEN_CLS";
  if (model instanceof BertForSequenceClassification) return "SEQ_CLS";
  if (model instanceof BertModel) return "FEATURE_EXTRACTION";
  return "SEQ_CLS";
}

/**
 * The `task_type` and `modules_to_save` fields of an adapter config for `model`: a causal LM
 * or a bare encoder has no head to save, so `modules_to_save` is `null` unless a listed module
 * exists in it.
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
  const headless = task === "CAUSAL_LM" || task === "FEATURE_EXTRACTION";
  const keep = modulesToSave.length > 0 && (!headless || savedModulePaths.length > 0);
  return { task_type: task, modules_to_save: keep ? [...modulesToSave] : null };
}
