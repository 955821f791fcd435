import { type Module, TunekitError } from "@tunekit/core";
import { Conv1D, Gpt2LMHeadModel, LlamaForCausalLM } from "@tunekit/core/models";

/**
 * The Hugging Face `model_type` of a causal LM tunekit builds (`llama`, `mistral`, `qwen2`,
 * `gpt2`), or undefined for other models: the key of PEFT's per-model default target tables.
 *
 * @example
 * ```ts
 * decoderModelType(gpt2Model); // "gpt2"
 * ```
 */
export function decoderModelType(model: Module): "llama" | "mistral" | "qwen2" | "gpt2" | undefined {
  if (model instanceof LlamaForCausalLM) return model.llamaConfig.modelType;
  if (model instanceof Gpt2LMHeadModel) return "gpt2";
  return undefined;
}

/**
 * PEFT 0.20's default `target_modules` per decoder `model_type`
 * (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` / `…_IA3_…`) and IA3's default
 * `feedforward_modules`.
 *
 * @example
 * ```ts
 * DECODER_PEFT_DEFAULTS.gpt2.ia3Feedforward; // ["mlp.c_proj"]
 * ```
 */
export const DECODER_PEFT_DEFAULTS: Readonly<
  Record<
    "llama" | "mistral" | "qwen2" | "gpt2",
    {
      readonly lora: readonly string[];
      readonly ia3: readonly string[];
      readonly ia3Feedforward: readonly string[];
    }
  >
> = Object.freeze({
  llama: {
    lora: ["q_proj", "v_proj"],
    ia3: ["k_proj", "v_proj", "down_proj"],
    ia3Feedforward: ["down_proj"],
  },
  mistral: {
    lora: ["q_proj", "v_proj"],
    ia3: ["k_proj", "v_proj", "down_proj"],
    ia3Feedforward: ["down_proj"],
  },
  qwen2: {
    lora: ["q_proj", "v_proj"],
    ia3: ["q_proj", "v_proj", "down_proj"],
    ia3Feedforward: ["down_proj"],
  },
  gpt2: { lora: ["c_attn"], ia3: ["c_attn", "mlp.c_proj"], ia3Feedforward: ["mlp.c_proj"] },
});

/**
 * PEFT's `fan_in_fan_out` for adapters on the modules at `paths` of `model`: true when they
 * are GPT-2 `Conv1D` layers (weights stored `[in, out]` in Hugging Face), false for `Linear`.
 * A mix is refused (`INVALID_ARGUMENT`): PEFT's one flag cannot describe both.
 *
 * @example
 * ```ts
 * fanInFanOut(gpt2Model, ["transformer.h.0.attn.c_attn"]); // true
 * ```
 */
export function fanInFanOut(model: Module, paths: readonly string[]): boolean {
  const conv = paths.filter((p) => model.getSubmodule(p) instanceof Conv1D);
  if (conv.length > 0 && conv.length < paths.length) {
    const other = paths.find((p) => !conv.includes(p));
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `adapter targets mix Conv1D layers (${conv[0]}) and Linear layers (${other}); PEFT's fan_in_fan_out ` +
        "describes one kind: target only one kind in one adapter",
    );
  }
  return conv.length > 0;
}
