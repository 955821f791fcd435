import type { Module } from "@tunekit/core";
import { BertModel, type EncoderModelType } from "@tunekit/core/models";
import { DECODER_PEFT_DEFAULTS, decoderModelType } from "./decoder-defaults.js";

/**
 * The Hugging Face `model_type` of a BERT-architecture encoder model (`bert`, `roberta`,
 * `xlm-roberta`, `electra`, `distilbert`), as the model reports it in its config: a
 * `BertModel`, a task model holding one (`model.bert`), or undefined for other models.
 *
 * @example
 * ```ts
 * encoderModelType(await loadBertCheckpoint(distilbertDir, { task: "sequence-classification" }).model); // "distilbert"
 * ```
 */
export function encoderModelType(model: Module): EncoderModelType | undefined {
  if (model instanceof BertModel) return model.config.modelType;
  const encoder = model.namedChildren().find(([, m]) => m instanceof BertModel)?.[1];
  return encoder instanceof BertModel ? encoder.config.modelType : undefined;
}

/**
 * Per-encoder defaults of the PEFT strategies: LoRA `target_modules`, IA3 `target_modules`
 * and `feedforward_modules`, and the head modules trained and saved (`modules_to_save`).
 * LoRA's are PEFT 0.20's `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` (BERT,
 * RoBERTa, XLM-RoBERTa, ELECTRA: `query`, `value`); IA3's are PEFT's for BERT and RoBERTa
 * (`key`, `value`, `output.dense`), the same names for XLM-RoBERTa and ELECTRA, which share
 * BERT's modules. PEFT has no DistilBERT entries; its modules get the analogous defaults
 * (`q_lin`/`v_lin` for LoRA; `k_lin`, `v_lin`, `lin2` for IA3, `lin2` feed-forward) and its
 * `pre_classifier` is saved with `classifier` (PEFT's `modules_to_save` suffix match on
 * `classifier` selects both in Python).
 *
 * @example
 * ```ts
 * ENCODER_PEFT_DEFAULTS.distilbert.lora; // ["q_lin", "v_lin"]
 * ```
 */
export const ENCODER_PEFT_DEFAULTS: Readonly<
  Record<
    EncoderModelType,
    {
      readonly lora: readonly string[];
      readonly ia3: readonly string[];
      readonly ia3Feedforward: readonly string[];
      readonly modulesToSave: readonly string[];
    }
  >
> = Object.freeze({
  bert: bertLike(),
  roberta: bertLike(),
  "xlm-roberta": bertLike(),
  electra: bertLike(),
  distilbert: {
    lora: ["q_lin", "v_lin"],
    ia3: ["k_lin", "v_lin", "lin2"],
    ia3Feedforward: ["lin2"],
    modulesToSave: ["pre_classifier", "classifier"],
  },
});

function bertLike() {
  return {
    lora: ["query", "value"],
    ia3: ["key", "value", "output.dense"],
    ia3Feedforward: ["output.dense"],
    modulesToSave: ["classifier"],
  };
}

/**
 * PEFT-style defaults for `model`, from the architecture it reports: a decoder's
 * ({@link DECODER_PEFT_DEFAULTS}) or an encoder's ({@link ENCODER_PEFT_DEFAULTS}, with its
 * `modulesToSave`); undefined for a model of neither kind (the strategies keep their BERT
 * defaults).
 *
 * @example
 * ```ts
 * peftDefaultsFor(distilbertClassifier)?.lora; // ["q_lin", "v_lin"]
 * ```
 */
export function peftDefaultsFor(model: Module):
  | {
      readonly lora: readonly string[];
      readonly ia3: readonly string[];
      readonly ia3Feedforward: readonly string[];
      readonly modulesToSave?: readonly string[];
    }
  | undefined {
  const decoder = decoderModelType(model);
  if (decoder !== undefined) return DECODER_PEFT_DEFAULTS[decoder];
  const encoder = encoderModelType(model);
  return encoder === undefined ? undefined : ENCODER_PEFT_DEFAULTS[encoder];
}
