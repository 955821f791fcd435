import { mulberry32, type Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { matmul, reshape } from "../../ir/ops.js";
import { Embedding } from "../../modules/embedding.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module, ModuleList } from "../../modules/module.js";
import type { Parameter } from "../../modules/parameter.js";
import type { ModelBatchOutput } from "../../trainer/trainer-model.js";
import { causalLmLoss } from "./causal-lm-loss.js";
import { causalMaskBias } from "./decoder-ops.js";
import { type LlamaConfig, LLAMA_MODEL_TYPES } from "./llama-config.js";
import { LlamaDecoderLayer, LlamaRMSNorm } from "./llama-layers.js";
import { checkLlamaSize } from "./llama-parameter-count.js";

/**
 * Inputs of a Llama-family decoder: int32 `inputIds [B, S]`, optionally the int32
 * `attentionMask [B, S]` (1 = token, 0 = right padding) and, for the loss, int32
 * `labels [B, S]` (usually the input ids, -100 where no loss is wanted).
 *
 * @example
 * ```ts
 * const inputs: LlamaInputs = { inputIds, attentionMask, labels };
 * ```
 */
export interface LlamaInputs {
  readonly inputIds: Tensor;
  readonly attentionMask?: Tensor | undefined;
  readonly labels?: Tensor | undefined;
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

  forward(inputs: LlamaInputs, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const { inputIds, attentionMask } = inputs;
    checkIds(inputIds, "input_ids");
    if (attentionMask) checkIds(attentionMask, "attention_mask", inputIds.shape);
    const s = inputIds.shape[1]!;
    const bias = causalMaskBias(inputIds.graph, s, attentionMask, this.config.slidingWindow);
    let x = this.child<Layer>("embed_tokens").forward(inputIds, ctx);
    for (const layer of this.child<ModuleList<LlamaDecoderLayer>>("layers")) x = layer.forward(x, bias, ctx);
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

  /** The decoder stack. */
  get model(): LlamaModel {
    return this.child<LlamaModel>("model");
  }

  forward(inputs: LlamaInputs, ctx: ForwardContext = EVAL_CONTEXT): { logits: Tensor; loss?: Tensor } {
    const hidden = this.model.forward(inputs, ctx);
    const [b, s, h] = hidden.shape as [number, number, number];
    const logits = this.llamaConfig.tieWordEmbeddings
      ? reshape(
          matmul(reshape(hidden, [b * s, h]), hidden.graph.param(this.model.embedTokens), {
            transposeB: true,
          }),
          [b, s, this.llamaConfig.vocabSize],
        )
      : this.child<Layer>("lm_head").forward(hidden, ctx);
    if (inputs.labels === undefined) return { logits };
    checkIds(inputs.labels, "labels", inputs.inputIds.shape);
    return { logits, loss: causalLmLoss(logits, inputs.labels) };
  }

  /** The Trainer's generic forward: reads `input_ids`, `attention_mask` and (when fed) `labels`. */
  forwardBatch(feeds: Readonly<Record<string, Tensor>>, ctx: ForwardContext): ModelBatchOutput {
    const inputIds = feeds.input_ids;
    if (inputIds === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${this.architecture}.forwardBatch needs input_ids; the batch has ${Object.keys(feeds).join(", ") || "nothing"}`,
      );
    }
    const { logits, loss } = this.forward(
      { inputIds, attentionMask: feeds.attention_mask, labels: feeds.labels },
      ctx,
    );
    return { loss, outputs: { logits } };
  }
}

function checkIds(t: Tensor, name: string, shape?: readonly number[]): void {
  const okShape = t.rank === 2 && (!shape || (t.shape[0] === shape[0] && t.shape[1] === shape[1]));
  if (t.dtype !== "int32" || !okShape) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `Llama decoder: ${name} must be int32 [${shape ? shape.join(", ") : "batch, seq"}], got ${t.dtype}[${t.shape.join(", ")}]`,
    );
  }
}
