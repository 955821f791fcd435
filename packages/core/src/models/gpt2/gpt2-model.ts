import { mulberry32, type Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { add, concat, constant } from "../../ir/ops.js";
import { Dropout } from "../../modules/dropout.js";
import { Embedding } from "../../modules/embedding.js";
import { LayerNorm } from "../../modules/layer-norm.js";
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
  lmHead,
} from "../causal-lm/causal-lm-head.js";
import { causalMaskBias } from "../llama/decoder-ops.js";
import {
  type DecoderPromptEncoder,
  decoderPromptEncoderOf,
  extendedMask,
  prefixColumns,
  prefixMaskBias,
} from "../llama/decoder-prompt.js";
import { broadcastPrefix, checkAttentionMask, decodeStepBias } from "../causal-lm/decoder-stack.js";
import { StaticKvCache } from "../llama/kv-cache.js";
import type { GenerationForwardInputs, GenerationSpec, LlamaInputs } from "../llama/llama-model.js";
import type { Gpt2Config } from "./gpt2-config.js";
import { Gpt2Block, type Gpt2Step } from "./gpt2-layers.js";
import { checkGpt2Size } from "./gpt2-parameter-count.js";

/**
 * The GPT-2 decoder stack with Hugging Face names (`wte`, `wpe`, `h.N.*`, `ln_f`): token plus
 * learned absolute position embeddings (positions `0 .. S-1`, or `positionIds`), embedding
 * dropout, pre-norm blocks with causal attention combined with the padding mask, the final
 * LayerNorm.
 *
 * @example
 * ```ts
 * const hidden = new Gpt2Model(config).forward({ inputIds, attentionMask }); // [B, S, H]
 * ```
 */
export class Gpt2Model extends Module {
  readonly config: Gpt2Config;

  constructor(config: Gpt2Config, options: { readonly rng?: Rng; readonly seed?: number } = {}) {
    super();
    this.config = config;
    const rng = options.rng ?? mulberry32(options.seed ?? 0);
    const init = { rng, std: config.initializerRange };
    this.registerModule("wte", new Embedding(config.vocabSize, config.hiddenSize, init));
    this.registerModule("wpe", new Embedding(config.maxPositionEmbeddings, config.hiddenSize, init));
    this.registerModule("drop", new Dropout(config.embdDropout));
    const blocks = new ModuleList<Gpt2Block>();
    for (let i = 0; i < config.numHiddenLayers; i++) blocks.push(new Gpt2Block(config, rng));
    this.registerModule("h", blocks);
    this.registerModule("ln_f", new LayerNorm(config.hiddenSize, config.layerNormEps));
  }

  /** The token embedding table `[vocab, hidden]` (the tied head). */
  get wte(): Parameter {
    return this.child<Embedding>("wte").weight;
  }

  /**
   * Hidden states `[B, S, H]`. With a {@link StaticKvCache}, the blocks record their keys and
   * values in it (a prefill) or attend over it (a decode step, where the cache's slot mask
   * replaces `attentionMask`). With a prompt-tuning table (`DecoderPromptEncoder`), `P` virtual
   * tokens come first (positions `0 .. P-1`, `[B, P+S, H]` out); with a prefix table, every
   * block attends to `P` prefix keys / values first and tokens take positions `P .. P+S-1`.
   */
  forward(
    inputs: LlamaInputs,
    ctx: ForwardContext = EVAL_CONTEXT,
    cache?: StaticKvCache,
    prompt?: DecoderPromptEncoder,
  ): Tensor {
    const { inputIds, attentionMask, positionIds } = inputs;
    checkIds(inputIds, "input_ids");
    const g = inputIds.graph;
    const [b, s] = inputIds.shape as [number, number];
    const p = prompt?.numVirtualTokens ?? 0;
    const blocks = [...this.child<ModuleList<Gpt2Block>>("h")];
    // generation (position ids / a cache) with a prompt: the virtual tokens come first and see
    // only each other, so their keys and values per block (positions 0 .. P-1) act as a prefix
    let virtual: StaticKvCache | undefined;
    if (prompt?.kind === "prompt" && (cache || positionIds)) {
      virtual = StaticKvCache.prefill(p);
      const at = constant(
        g,
        "int32",
        [1, p],
        Int32Array.from({ length: p }, (_, i) => i),
      );
      let h = add(prompt.promptEmbeddings(g, 1), this.child<Layer>("wpe").forward(at, ctx));
      h = this.child<Layer>("drop").forward(h, ctx);
      const own = causalMaskBias(g, p);
      blocks.forEach((block, i) => {
        h = block.forward(h, own, ctx, { cache: virtual, layer: i });
      });
    }
    // "inline": virtual tokens before the tokens; "prefix": keys / values before each block's own
    const mode = prompt === undefined ? undefined : prompt.kind === "prefix" || virtual ? "prefix" : "inline";
    let bias: Tensor;
    if (cache?.decoding) {
      bias = decodeStepBias("GPT-2", cache, attentionMask);
      if (mode === "prefix") bias = prefixColumns(bias, p);
    } else {
      checkAttentionMask("GPT-2", inputIds, attentionMask);
      if (mode === "inline") bias = causalMaskBias(g, p + s, extendedMask(attentionMask, p));
      else if (mode === "prefix") bias = prefixMaskBias(g, s, p, attentionMask);
      else bias = causalMaskBias(g, s, attentionMask);
    }
    let positions: Tensor;
    if (positionIds) {
      checkIds(positionIds, "position_ids", inputIds.shape);
      positions = mode === "prefix" ? add(positionIds, p) : positionIds;
    } else {
      const n = mode === "inline" ? p + s : s;
      const first = mode === "prefix" ? p : 0;
      if (first + n > this.config.maxPositionEmbeddings) {
        throw new TunekitError(
          "SHAPE_MISMATCH",
          `GPT-2: a sequence of ${first + n} positions${p ? ` (${p} virtual tokens included)` : ""} is longer than ` +
            `n_positions (${this.config.maxPositionEmbeddings}); truncate it (e.g. a smaller maxLength)`,
        );
      }
      positions = constant(
        g,
        "int32",
        [1, n],
        Int32Array.from({ length: n }, (_, i) => first + i),
      );
    }
    let words = this.child<Layer>("wte").forward(inputIds, ctx);
    if (prompt && mode === "inline") words = concat([prompt.promptEmbeddings(g, b), words], 1);
    let x = add(words, this.child<Layer>("wpe").forward(positions, ctx));
    x = this.child<Layer>("drop").forward(x, ctx);
    const c = this.config;
    blocks.forEach((block, i) => {
      let prefix: { key: Tensor; value: Tensor } | undefined;
      if (virtual) prefix = broadcastPrefix(virtual.present[i]!, b);
      else if (prompt?.kind === "prefix") {
        prefix = prompt.prefixKeyValues(g, b, i, c.numHiddenLayers, c.numAttentionHeads, c.headDim);
      }
      const step: Gpt2Step | undefined = cache || prefix ? { cache, layer: i, prefix } : undefined;
      x = block.forward(x, bias, ctx, step);
    });
    return this.child<Layer>("ln_f").forward(x, ctx);
  }
}

/**
 * GPT-2 with its language-modelling head (`GPT2LMHeadModel`): `transformer` (a
 * {@link Gpt2Model}) and the head, which is the token embedding table itself when
 * `tie_word_embeddings` (the default; no `lm_head` parameter then, as in Hugging Face's state
 * dict). `forward` returns logits `[B, S, V]` and, with labels, Hugging Face's causal-LM loss.
 * A generic Trainer model (`batchFields` + `forwardBatch` on `input_ids`, `attention_mask`,
 * `labels`) and a `generate` model (`forwardGeneration`, `generationSpec`). Load weights with
 * `loadGpt2Checkpoint`.
 *
 * @example
 * ```ts
 * const model = new Gpt2LMHeadModel(parseGpt2Config(json));
 * const { logits, loss } = model.forward({ inputIds, attentionMask, labels });
 * ```
 */
export class Gpt2LMHeadModel extends Module {
  readonly gpt2Config: Gpt2Config;
  readonly batchFields: readonly string[] = ["input_ids", "attention_mask"];
  /** The Trainer scores it by loss and perplexity (`Trainer.evaluate`). */
  readonly trainerTask = "causal-lm" as const;
  /** The Hugging Face architecture name. */
  readonly architecture = "GPT2LMHeadModel";

  constructor(config: Gpt2Config, options: { readonly seed?: number } = {}) {
    super();
    checkGpt2Size(config);
    this.gpt2Config = config;
    const rng = mulberry32(options.seed ?? 0);
    this.registerModule("transformer", new Gpt2Model(config, { rng }));
    if (!config.tieWordEmbeddings) {
      this.registerModule(
        "lm_head",
        new Linear(config.hiddenSize, config.vocabSize, { rng, std: config.initializerRange, bias: false }),
      );
    }
  }

  /** The decoder stack. */
  get transformer(): Gpt2Model {
    return this.child<Gpt2Model>("transformer");
  }

  /** What generation needs to know: cache shape, vocabulary, special ids (see `generate`). */
  get generationSpec(): GenerationSpec {
    return decoderGenerationSpec(this.gpt2Config, this.gpt2Config.numAttentionHeads);
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
   * runs on those positions only. Positions must stay below `n_positions`.
   */
  forwardGeneration(inputs: GenerationForwardInputs, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const hidden = this.transformer.forward(inputs, ctx, inputs.cache, decoderPromptEncoderOf(this));
    return this.pickAndHead(hidden, inputs.logitIndex, ctx);
  }

  /** The head on the hidden state at `index[b]` of each row: logits `[B, V]`. */
  pickAndHead(hidden: Tensor, index: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    return headAtIndex(this.parts(), hidden, index, ctx);
  }

  /** Logits `[B, S, V]` of hidden states `[B, S, H]`. */
  head(hidden: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    return lmHead(this.parts(), hidden, ctx);
  }

  /** The Trainer's generic forward: reads `input_ids`, `attention_mask`, `position_ids` and `labels` when fed. */
  forwardBatch(feeds: Readonly<Record<string, Tensor>>, ctx: ForwardContext): ModelBatchOutput {
    const { logits, loss } = this.forward(causalLmBatchInputs(this.architecture, feeds), ctx);
    return { loss, outputs: { logits } };
  }

  private parts(): CausalLmParts {
    const { gpt2Config: config, transformer: stack, architecture } = this;
    return { module: this, stack, config, embedding: stack.wte, who: "GPT-2", architecture };
  }
}

function checkIds(t: Tensor, name: string, shape?: readonly number[]): void {
  checkDecoderIds("GPT-2", t, name, shape);
}
