import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { matmul, oneHot, reshape } from "../../ir/ops.js";
import { Linear } from "../../modules/linear.js";
import type { ForwardContext, Layer, Module } from "../../modules/module.js";
import type { Parameter } from "../../modules/parameter.js";
import { causalLmLoss, causalLmLossFromHidden } from "../llama/causal-lm-loss.js";
import {
  type DecoderPromptEncoder,
  decoderPromptEncoderOf,
  extendedLabels,
} from "../llama/decoder-prompt.js";
import type { StaticKvCache } from "../llama/kv-cache.js";
import type { GenerationForwardInputs, GenerationSpec, LlamaInputs } from "../llama/llama-model.js";

// The language-modelling head shared by the decoder families (Llama-family, GPT-2): loss,
// generation's last-position logits, the tied or separate head, the Trainer's batch forward.

/** A decoder stack (`LlamaModel`, `Gpt2Model`): hidden states `[B, S, H]`. */
export interface DecoderStack {
  forward(
    inputs: LlamaInputs,
    ctx: ForwardContext,
    cache?: StaticKvCache,
    prompt?: DecoderPromptEncoder,
  ): Tensor;
}

/** The config fields the head reads. */
export interface HeadConfig {
  readonly numHiddenLayers: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly tieWordEmbeddings: boolean;
  readonly eosTokenId?: number | readonly number[];
  readonly padTokenId?: number;
  readonly slidingWindow?: number;
}

/** A causal LM as the shared code sees it. */
export interface CausalLmParts {
  /** The model itself (its `prompt_encoder` child, its `lm_head`). */
  readonly module: Module;
  readonly stack: DecoderStack;
  readonly config: HeadConfig;
  /** The token embedding table, the head when tied. */
  readonly embedding: Parameter;
  /** How id errors name the model ("GPT-2", "Llama decoder"). */
  readonly who: string;
  /** The Hugging Face architecture name, for generation / batch errors. */
  readonly architecture: string;
}

/** Throws `SHAPE_MISMATCH` unless `t` is int32 of `shape` (default: any `[batch, seq]`). */
export function checkDecoderIds(who: string, t: Tensor, name: string, shape?: readonly number[]): void {
  const okShape = shape ? t.rank === shape.length && shape.every((n, i) => t.shape[i] === n) : t.rank === 2;
  if (t.dtype !== "int32" || !okShape) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${who}: ${name} must be int32 [${shape ? shape.join(", ") : "batch, seq"}], got ${t.dtype}[${t.shape.join(", ")}]`,
    );
  }
}

/** The {@link GenerationSpec} of a decoder config with `numKeyValueHeads` cached heads. */
export function decoderGenerationSpec(c: HeadConfig, numKeyValueHeads: number): GenerationSpec {
  const eos =
    c.eosTokenId === undefined ? [] : typeof c.eosTokenId === "number" ? [c.eosTokenId] : [...c.eosTokenId];
  return {
    numLayers: c.numHiddenLayers,
    numKeyValueHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    eosTokenIds: eos,
    ...(c.padTokenId === undefined ? {} : { padTokenId: c.padTokenId }),
    ...(c.slidingWindow === undefined ? {} : { slidingWindow: c.slidingWindow }),
  };
}

/** Logits `[B, S, V]` of hidden states `[B, S, H]`: the embedding table when tied, else `lm_head`. */
export function lmHead(lm: CausalLmParts, hidden: Tensor, ctx: ForwardContext): Tensor {
  const [b, s, h] = hidden.shape as [number, number, number];
  return lm.config.tieWordEmbeddings
    ? reshape(matmul(reshape(hidden, [b * s, h]), hidden.graph.param(lm.embedding), { transposeB: true }), [
        b,
        s,
        lm.config.vocabSize,
      ])
    : lm.module.child<Layer>("lm_head").forward(hidden, ctx);
}

/** Logits `[B, S, V]` with the prompt table when attached and, with labels, the causal-LM loss. */
export function causalLmForward(
  lm: CausalLmParts,
  inputs: LlamaInputs,
  ctx: ForwardContext,
): { logits: Tensor; loss?: Tensor } {
  const prompt = decoderPromptEncoderOf(lm.module);
  const hidden = lm.stack.forward(inputs, ctx, undefined, prompt);
  const logits = lmHead(lm, hidden, ctx);
  if (inputs.labels === undefined) return { logits };
  checkDecoderIds(lm.who, inputs.labels, "labels", inputs.inputIds.shape);
  const labels =
    prompt?.kind === "prompt" ? extendedLabels(inputs.labels, prompt.numVirtualTokens) : inputs.labels;
  // A plain head's loss comes from the hidden states in chunks; the logits above are then only
  // computed when a step asks for them (a training step returning the loss drops them).
  const weight = plainHeadWeight(lm);
  const loss =
    weight === undefined
      ? causalLmLoss(logits, labels)
      : causalLmLossFromHidden(hidden, hidden.graph.param(weight), labels);
  return { logits, loss };
}

/**
 * The weight of a head that is one bias-free product with the hidden states: the token
 * embedding table when tied, `lm_head.weight` when `lm_head` is a plain `Linear` without
 * bias. `undefined` when a strategy replaced or wrapped `lm_head` (LoRA on it, say): the loss
 * then goes through that module's logits.
 */
function plainHeadWeight(lm: CausalLmParts): Parameter | undefined {
  if (lm.config.tieWordEmbeddings) return lm.embedding;
  const head = lm.module.child<Layer>("lm_head");
  return head.constructor === Linear && (head as Linear).bias === undefined
    ? (head as Linear).weight
    : undefined;
}

/** The head on the hidden state at `index[b]` of each row: logits `[B, V]`. */
export function headAtIndex(lm: CausalLmParts, hidden: Tensor, index: Tensor, ctx: ForwardContext): Tensor {
  const [b, s, h] = hidden.shape as [number, number, number];
  if (index.dtype !== "int32" || index.rank !== 1 || index.shape[0] !== b) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${lm.architecture}.forwardGeneration: logitIndex must be int32 [${b}], got ${index.dtype}[${index.shape.join(", ")}]`,
    );
  }
  // one position per row needs no selection (a decode step; index 0 is the only one)
  const picked = s === 1 ? hidden : matmul(oneHot(reshape(index, [b, 1]), s), hidden); // [B, 1, H]
  return reshape(lmHead(lm, reshape(picked, [b, 1, h]), ctx), [b, lm.config.vocabSize]);
}

/** Generation's next-token logits `[B, V]` (see `GenerationForwardInputs`). */
export function causalLmGenerationForward(
  lm: CausalLmParts,
  inputs: GenerationForwardInputs,
  ctx: ForwardContext,
): Tensor {
  const hidden = lm.stack.forward(inputs, ctx, inputs.cache, decoderPromptEncoderOf(lm.module));
  return headAtIndex(lm, hidden, inputs.logitIndex, ctx);
}

/** The inputs the Trainer's generic forward feeds: `input_ids`, `attention_mask`, `position_ids` and `labels` when fed. */
export function causalLmBatchInputs(
  architecture: string,
  feeds: Readonly<Record<string, Tensor>>,
): LlamaInputs {
  const inputIds = feeds.input_ids;
  if (inputIds === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${architecture}.forwardBatch needs input_ids; the batch has ${Object.keys(feeds).join(", ") || "nothing"}`,
    );
  }
  return {
    inputIds,
    attentionMask: feeds.attention_mask,
    positionIds: feeds.position_ids,
    labels: feeds.labels,
  };
}
