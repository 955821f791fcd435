import { type CausalLm, freezeAll, type HostTensor, type Module, TunekitError } from "@tunekit/core";
import {
  cloneModuleTree,
  DecoderPromptEncoder,
  decoderPromptEncoderOf,
  Gpt2LMHeadModel,
  normalTensor,
} from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { decoderModelType } from "../peft/decoder-defaults.js";

/**
 * The sizes PEFT records for prompt learning on a causal LM: `token_dim` and
 * `num_attention_heads` (for a prefix: the key/value heads and their total width, as PEFT 0.20
 * sets them for grouped-query attention), `num_layers`, and the table width
 * (`[P, hidden]` for a prompt, `[P, layers · 2 · kvHeads · headDim]` for a prefix).
 *
 * @example
 * ```ts
 * decoderPromptSizes(llama, "prefix"); // { tokenDim: 16, numAttentionHeads: 2, numLayers: 2, width: 64 }
 * ```
 */
export function decoderPromptSizes(
  model: CausalLm,
  kind: "prompt" | "prefix",
): { tokenDim: number; numAttentionHeads: number; numLayers: number; width: number; hiddenSize: number } {
  const spec = model.generationSpec;
  const heads =
    model instanceof Gpt2LMHeadModel
      ? model.gpt2Config.numAttentionHeads
      : model.llamaConfig.numAttentionHeads;
  const hidden =
    model instanceof Gpt2LMHeadModel ? model.gpt2Config.hiddenSize : model.llamaConfig.hiddenSize;
  if (kind === "prompt") {
    return {
      tokenDim: hidden,
      numAttentionHeads: heads,
      numLayers: spec.numLayers,
      width: hidden,
      hiddenSize: hidden,
    };
  }
  const tokenDim = spec.numKeyValueHeads * spec.headDim;
  return {
    tokenDim,
    numAttentionHeads: spec.numKeyValueHeads,
    numLayers: spec.numLayers,
    width: spec.numLayers * 2 * tokenDim,
    hiddenSize: hidden,
  };
}

/**
 * Whether `model` is a causal LM that prompt and prefix tuning treat as a decoder.
 *
 * @example
 * ```ts
 * isDecoderModel(gpt2); // true
 * ```
 */
export function isDecoderModel(model: Module): model is CausalLm {
  return decoderModelType(model) !== undefined;
}

/**
 * Prompt or prefix tuning on a causal LM (Llama / Mistral / Qwen2 / GPT-2), PEFT's
 * `PeftModelForCausalLM` semantics (see `DecoderPromptEncoder` in core): a structural copy of
 * the model, every base parameter frozen, and a trainable table `prompt_encoder.embedding.weight`
 * (`table`, or normal(0, `initStd`) from `seed`).
 *
 * @example
 * ```ts
 * const adapted = applyDecoderPromptLearning(gpt2, "prefix", { numVirtualTokens: 8, initStd: 1, seed: 0 });
 * ```
 */
export function applyDecoderPromptLearning<M extends Module>(
  model: M,
  kind: "prompt" | "prefix",
  options: {
    readonly numVirtualTokens: number;
    readonly initStd: number;
    readonly seed: number;
    readonly table?: HostTensor;
  },
): M {
  if (!isDecoderModel(model)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${kind} tuning: ${model.constructor.name} is not a causal LM`,
    );
  }
  if (decoderPromptEncoderOf(model)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${kind} tuning: the model already has a ${decoderPromptEncoderOf(model)!.kind} table; apply it to the base model`,
    );
  }
  const p = options.numVirtualTokens;
  const { width } = decoderPromptSizes(model, kind);
  if (model instanceof Gpt2LMHeadModel && p >= model.gpt2Config.maxPositionEmbeddings) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${kind} tuning: ${p} virtual tokens leave no position for text in GPT-2's ${model.gpt2Config.maxPositionEmbeddings}; use fewer`,
    );
  }
  const table = options.table ?? normalTensor([p, width], mulberry32(options.seed), options.initStd);
  if (table.shape[0] !== p || table.shape[1] !== width) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${kind} tuning: the table must be [${p}, ${width}], got [${table.shape.join(", ")}]`,
    );
  }
  const adapted = cloneModuleTree(model) as M & CausalLm;
  freezeAll(adapted);
  const encoder = new DecoderPromptEncoder(kind, table);
  adapted.setPromptEncoder(encoder);
  encoder.table.trainable = true;
  return adapted;
}
