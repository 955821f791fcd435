import { mulberry32, type Rng } from "../../data/random.js";
import type { Tensor } from "../../ir/graph.js";
import { add, concat, constant } from "../../ir/ops.js";
import { Embedding } from "../../modules/embedding.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module, ModuleList } from "../../modules/module.js";
import type { Parameter } from "../../modules/parameter.js";
import type { ModelBatchOutput } from "../../trainer/trainer-model.js";
import {
  type CausalLmParts,
  causalLmBatchInputs,
  causalLmForward,
  checkDecoderIds,
  decoderGenerationSpec,
  headAtIndex,
} from "../causal-lm/causal-lm-head.js";
import { causalMaskBias, rotaryAtPositions, rotaryTables } from "./decoder-ops.js";
import {
  type DecoderPromptEncoder,
  decoderPromptEncoderOf,
  extendedMask,
  prefixColumns,
} from "./decoder-prompt.js";
import { broadcastPrefix, checkAttentionMask, decodeStepBias } from "../causal-lm/decoder-stack.js";
import { StaticKvCache } from "./kv-cache.js";
import { type LlamaConfig, LLAMA_MODEL_TYPES } from "./llama-config.js";
import { LlamaDecoderLayer, LlamaRMSNorm } from "./llama-layers.js";
import { checkLlamaSize } from "./llama-parameter-count.js";

/**
 * Inputs of a Llama-family decoder: int32 `inputIds [B, S]`, optionally the int32
 * `attentionMask [B, S]` (1 = token, 0 = padding; or `[B, S, S]`, 1 where query `i` may see
 * key `j`, combined with the causal mask: packed rows' block-diagonal mask), int32 `positionIds [B, S]` (Hugging Face's
 * `position_ids`; default `0 .. S-1` in every row, so without them pad on the right; each
 * below `max(S, cache capacity)`) and, for the loss, int32 `labels [B, S]` (usually the input
 * ids, -100 where no loss is wanted).
 *
 * @example
 * ```ts
 * const inputs: LlamaInputs = { inputIds, attentionMask, labels };
 * ```
 */
export interface LlamaInputs {
  readonly inputIds: Tensor;
  readonly attentionMask?: Tensor | undefined;
  readonly positionIds?: Tensor | undefined;
  readonly labels?: Tensor | undefined;
}

/**
 * What `generate` needs to know about a causal LM: the key/value cache layout (layers,
 * key/value heads, head size), the vocabulary size, the end-of-sequence ids, the pad id and
 * a sliding attention window (Mistral) when there is one.
 *
 * @example
 * ```ts
 * const { numLayers, eosTokenIds } = model.generationSpec;
 * ```
 */
export interface GenerationSpec {
  readonly numLayers: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId?: number;
  readonly slidingWindow?: number;
}

/**
 * Inputs of one generation forward ({@link LlamaForCausalLM.forwardGeneration}): the
 * {@link LlamaInputs} without labels, plus `logitIndex` (int32 `[B]`: the position whose
 * next-token logits each row returns) and an optional static key/value cache (a prefill
 * or a decode step; in a decode step `attentionMask` is left out, the cache's slot mask
 * replaces it).
 *
 * @example
 * ```ts
 * const logits = model.forwardGeneration({ inputIds, attentionMask, positionIds, logitIndex }); // [B, V]
 * ```
 */
export interface GenerationForwardInputs {
  readonly inputIds: Tensor;
  readonly attentionMask?: Tensor | undefined;
  readonly positionIds?: Tensor | undefined;
  readonly logitIndex: Tensor;
  readonly cache?: StaticKvCache | undefined;
}

/**
 * The decoder stack with Hugging Face names (`embed_tokens`, `layers.N.*`, `norm`):
 * embeddings, pre-norm layers with causal attention (combined with the padding mask, and
 * Mistral's sliding window), the final RMSNorm. Positions are `0 .. S-1` in every row.
 *
 * @example
 * ```ts
 * const hidden = new LlamaModel(config).forward({ inputIds, attentionMask }); // [B, S, H]
 * ```
 */
export class LlamaModel extends Module {
  readonly config: LlamaConfig;

  constructor(config: LlamaConfig, options: { readonly rng?: Rng; readonly seed?: number } = {}) {
    super();
    this.config = config;
    const rng = options.rng ?? mulberry32(options.seed ?? 0);
    this.registerModule(
      "embed_tokens",
      new Embedding(config.vocabSize, config.hiddenSize, {
        rng,
        std: config.initializerRange,
        paddingIdx: config.padTokenId,
      }),
    );
    const layers = new ModuleList<LlamaDecoderLayer>();
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new LlamaDecoderLayer(config, rng));
    this.registerModule("layers", layers);
    this.registerModule("norm", new LlamaRMSNorm(config.hiddenSize, config.rmsNormEps));
  }

  /** The input embedding table `[vocab, hidden]`. */
  get embedTokens(): Parameter {
    return this.child<Embedding>("embed_tokens").weight;
  }

  /**
   * Hidden states `[B, S, H]`. With a {@link StaticKvCache}, the layers record their keys and
   * values in it (a prefill) or attend over it (a decode step, where the cache's slot mask
   * replaces `attentionMask`).
   */
  forward(
    inputs: LlamaInputs,
    ctx: ForwardContext = EVAL_CONTEXT,
    cache?: StaticKvCache,
    prompt?: DecoderPromptEncoder,
  ): Tensor {
    if (prompt) return this.forwardWithPrompt(inputs, ctx, prompt, cache);
    const { inputIds, attentionMask, positionIds } = inputs;
    checkIds(inputIds, "input_ids");
    const s = inputIds.shape[1]!;
    let bias: Tensor;
    if (cache?.decoding) {
      bias = decodeStepBias("Llama decoder", cache, attentionMask);
    } else {
      checkAttentionMask("Llama decoder", inputIds, attentionMask);
      bias = causalMaskBias(inputIds.graph, s, attentionMask, this.config.slidingWindow);
    }
    let rope: { cos: Tensor; signedSin: Tensor } | undefined;
    if (positionIds) {
      checkIds(positionIds, "position_ids", inputIds.shape);
      const table = Math.max(s, cache?.capacity ?? 0);
      rope = rotaryAtPositions(positionIds, this.config.headDim, this.config.ropeTheta, table);
    }
    let x = this.child<Layer>("embed_tokens").forward(inputIds, ctx);
    let i = 0;
    for (const layer of this.child<ModuleList<LlamaDecoderLayer>>("layers")) {
      x =
        rope || cache ? layer.forward(x, bias, ctx, { rope, cache, layer: i }) : layer.forward(x, bias, ctx);
      i++;
    }
    return this.child<Layer>("norm").forward(x, ctx);
  }

  /**
   * Prompt tuning (virtual tokens first, `[B, P+S, H]` out) or prefix tuning (past keys / values
   * per layer; with generation's position ids and key/value cache too: positions shifted by `P`,
   * the prefix columns always visible).
   */
  private forwardWithPrompt(
    inputs: LlamaInputs,
    ctx: ForwardContext,
    prompt: DecoderPromptEncoder,
    cache?: StaticKvCache,
  ): Tensor {
    const { inputIds, attentionMask, positionIds } = inputs;
    checkIds(inputIds, "input_ids");
    if (attentionMask) checkIds(attentionMask, "attention_mask", inputIds.shape);
    const g = inputIds.graph;
    const [b, s] = inputIds.shape as [number, number];
    const p = prompt.numVirtualTokens;
    const c = this.config;
    let x = this.child<Layer>("embed_tokens").forward(inputIds, ctx);
    const layers = [...this.child<ModuleList<LlamaDecoderLayer>>("layers")];
    // generation (position ids / a cache) with a prompt: the virtual tokens come first and see
    // only each other, so their keys and values per layer (positions 0 .. P-1) act as a prefix
    const generating = positionIds !== undefined || cache !== undefined;
    let virtual: StaticKvCache | undefined;
    if (prompt.kind === "prompt" && generating) {
      virtual = StaticKvCache.prefill(p);
      let h = prompt.promptEmbeddings(g, 1);
      const own = causalMaskBias(g, p);
      layers.forEach((layer, i) => {
        h = layer.forward(h, own, ctx, { layer: i, cache: virtual });
      });
    }
    if (prompt.kind === "prompt" && !generating) {
      x = concat([prompt.promptEmbeddings(g, b), x], 1);
      const bias = causalMaskBias(g, p + s, extendedMask(attentionMask, p), c.slidingWindow);
      for (const layer of layers) x = layer.forward(x, bias, ctx);
    } else {
      let base: Tensor;
      if (cache?.decoding) {
        base = decodeStepBias("Llama decoder", cache, attentionMask);
      } else {
        if (attentionMask?.rank === 3) extendedMask(attentionMask, p); // throws: packing is not supported
        base = causalMaskBias(g, s, attentionMask, c.slidingWindow);
      }
      const bias = prefixColumns(base, p);
      let rope: { cos: Tensor; signedSin: Tensor };
      if (positionIds) {
        checkIds(positionIds, "position_ids", inputIds.shape);
        const table = Math.max(s, cache?.capacity ?? 0) + p;
        rope = rotaryAtPositions(add(positionIds, p), c.headDim, c.ropeTheta, table);
      } else {
        const tables = rotaryTables(s, c.headDim, c.ropeTheta, p);
        rope = {
          cos: constant(g, "float32", [s, c.headDim], tables.cos),
          signedSin: constant(g, "float32", [s, c.headDim], tables.signedSin),
        };
      }
      layers.forEach((layer, i) => {
        const prefix = virtual
          ? broadcastPrefix(virtual.present[i]!, b)
          : prompt.prefixKeyValues(g, b, i, c.numHiddenLayers, c.numKeyValueHeads, c.headDim);
        x = layer.forward(x, bias, ctx, { rope, cache, layer: i, prefix });
      });
    }
    return this.child<Layer>("norm").forward(x, ctx);
  }
}

/**
 * A Llama-family causal language model (`LlamaForCausalLM`, `MistralForCausalLM`,
 * `Qwen2ForCausalLM` by `model_type`): `model` (a {@link LlamaModel}) and `lm_head`, which is
 * the input embedding table itself when `tie_word_embeddings` (no `lm_head` parameter then,
 * as in Hugging Face's state dict). `forward` returns logits `[B, S, V]` and, with labels,
 * Hugging Face's causal-LM loss ({@link causalLmLoss}). It is a generic Trainer model:
 * `batchFields` + `forwardBatch(feeds, ctx)` on the feeds `input_ids`, `attention_mask` and
 * `labels`. Load weights with `loadLlamaCheckpoint`.
 *
 * @example
 * ```ts
 * const model = new LlamaForCausalLM(parseLlamaConfig(json));
 * const { logits, loss } = model.forward({ inputIds, attentionMask, labels });
 * ```
 */
export class LlamaForCausalLM extends Module {
  readonly llamaConfig: LlamaConfig;
  readonly batchFields: readonly string[] = ["input_ids", "attention_mask"];
  /** The Trainer scores it by loss and perplexity (`Trainer.evaluate`). */
  readonly trainerTask = "causal-lm" as const;

  constructor(config: LlamaConfig, options: { readonly seed?: number } = {}) {
    super();
    checkLlamaSize(config);
    this.llamaConfig = config;
    const rng = mulberry32(options.seed ?? 0);
    this.registerModule("model", new LlamaModel(config, { rng }));
    if (!config.tieWordEmbeddings) {
      this.registerModule(
        "lm_head",
        new Linear(config.hiddenSize, config.vocabSize, { rng, std: config.initializerRange, bias: false }),
      );
    }
  }

  /** The Hugging Face architecture name of this model (`LlamaForCausalLM`, `Qwen2ForCausalLM`, ...). */
  get architecture(): string {
    return LLAMA_MODEL_TYPES[this.llamaConfig.modelType];
  }

  /** What generation needs to know: cache shape, vocabulary, special ids (see `generate`). */
  get generationSpec(): GenerationSpec {
    return decoderGenerationSpec(this.llamaConfig, this.llamaConfig.numKeyValueHeads);
  }

  /** The decoder stack. */
  get model(): LlamaModel {
    return this.child<LlamaModel>("model");
  }

  forward(inputs: LlamaInputs, ctx: ForwardContext = EVAL_CONTEXT): { logits: Tensor; loss?: Tensor } {
    return causalLmForward(this.parts(), inputs, ctx);
  }

  /**
   * Attaches (or replaces) the prompt / prefix table that prompt and prefix tuning train, as
   * the child `prompt_encoder` (PEFT's name); `forward` then reads it.
   */
  setPromptEncoder(encoder: DecoderPromptEncoder): void {
    this.registerModule("prompt_encoder", encoder);
  }

  /**
   * The next-token logits `[B, V]` at `logitIndex[b]` of each row, for generation: the head
   * runs on those positions only. With a cache, see {@link GenerationForwardInputs}.
   */
  forwardGeneration(inputs: GenerationForwardInputs, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const hidden = this.model.forward(inputs, ctx, inputs.cache, decoderPromptEncoderOf(this));
    return headAtIndex(this.parts(), hidden, inputs.logitIndex, ctx);
  }

  /** The Trainer's generic forward: reads `input_ids`, `attention_mask` and (when fed) `labels`. */
  forwardBatch(feeds: Readonly<Record<string, Tensor>>, ctx: ForwardContext): ModelBatchOutput {
    const { logits, loss } = this.forward(causalLmBatchInputs(this.architecture, feeds), ctx);
    return { loss, outputs: { logits } };
  }

  private parts(): CausalLmParts {
    const { llamaConfig: config, model: stack, architecture } = this;
    return { module: this, stack, config, embedding: stack.embedTokens, who: "Llama decoder", architecture };
  }
}

function checkIds(t: Tensor, name: string, shape?: readonly number[]): void {
  checkDecoderIds("Llama decoder", t, name, shape);
}
