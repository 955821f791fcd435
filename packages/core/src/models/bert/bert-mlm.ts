import { mulberry32, type Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import { crossEntropy } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import { add, gather, matmul, reshape } from "../../ir/ops.js";
import type { Embedding } from "../../modules/embedding.js";
import { filledTensor } from "../../modules/init.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, Layer, Module } from "../../modules/module.js";
import { Parameter } from "../../modules/parameter.js";
import type { BertHeadOptions, BertHeadOutput } from "./bert-heads.js";
import { applyActivation } from "./bert-layer.js";
import type { ForwardFn } from "../../train/train-step.js";
import { type BertInputs, BertModel } from "./bert-model.js";

/**
 * Inputs of {@link BertForMaskedLM}: the encoder inputs plus, optionally, the flat positions
 * (`b * seq + t`, int32 `[N]`) whose tokens are predicted. With `maskedPositions`, `labels`
 * are int32 `[N]`; without, logits cover every position and `labels` are int32 `[B, S]`.
 * Labels equal to -100 are ignored (padding of a fixed-size position list).
 *
 * @example
 * ```ts
 * const inputs: BertMaskedLmInputs = { inputIds, attentionMask, maskedPositions, labels };
 * ```
 */
export interface BertMaskedLmInputs extends BertInputs {
  readonly maskedPositions?: Tensor | undefined;
}

/**
 * `LayerNorm(hidden_act(dense(x)))`: the transform before BERT's vocabulary projection
 * (Hugging Face `BertPredictionHeadTransform`).
 *
 * @example
 * ```ts
 * const t = new BertPredictionHeadTransform(config, mulberry32(0)).forward(hidden); // [N, H]
 * ```
 */
export class BertPredictionHeadTransform extends Layer {
  readonly activation: string;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    this.activation = config.hiddenAct;
    this.registerModule("dense", new Linear(h, h, { rng, std: config.initializerRange }));
    this.registerModule("LayerNorm", new LayerNorm(h, config.layerNormEps));
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const h = applyActivation(this.child<Layer>("dense").forward(x, ctx), this.activation);
    return this.child<Layer>("LayerNorm").forward(h, ctx);
  }
}

/**
 * The prediction head of BERT's masked language model, with Hugging Face names
 * (`transform.*`, `bias`): the transform, then the word-embedding matrix transposed (tied,
 * as Hugging Face ties `decoder.weight`) plus a per-token bias.
 *
 * @example
 * ```ts
 * const logits = head.forward(hidden, wordEmbeddings, ctx); // [N, vocab]
 * ```
 */
export class BertLmPredictionHead extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("transform", new BertPredictionHeadTransform(config, rng));
    this.registerParameter("bias", new Parameter("bias", filledTensor([config.vocabSize], 0)));
  }

  /** `hidden`: `[N, H]`; `wordEmbeddings`: the tied `[vocab, H]` matrix. Returns `[N, vocab]`. */
  forward(hidden: Tensor, wordEmbeddings: Parameter, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const h = this.child<Layer>("transform").forward(hidden, ctx);
    const g = hidden.graph;
    return add(matmul(h, g.param(wordEmbeddings), { transposeB: true }), g.param(this.param("bias")));
  }
}

/**
 * The `cls` module of `BertForMaskedLM`: holds `predictions` (Hugging Face `BertOnlyMLMHead`).
 *
 * @example
 * ```ts
 * const cls = new BertOnlyMlmHead(config, mulberry32(0)); // parameters cls.predictions.*
 * ```
 */
export class BertOnlyMlmHead extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("predictions", new BertLmPredictionHead(config, rng));
  }

  /** The prediction head. */
  get predictions(): BertLmPredictionHead {
    return this.child<BertLmPredictionHead>("predictions");
  }
}

/**
 * What `BertForMaskedLM` and `BertForPreTraining` share: the parsed `config`, the `bert` encoder
 * (built first from the seeded generator, then the `cls` heads) and the word-embedding matrix
 * that the masked-LM decoder reuses (tied, as in Hugging Face).
 *
 * @example
 * ```ts
 * const table = (model satisfies BertWithTiedDecoder).wordEmbeddings; // [vocab, hidden]
 * ```
 */
export abstract class BertWithTiedDecoder extends Module {
  readonly config: BertConfig;

  protected constructor(
    config: BertConfig,
    options: Pick<BertHeadOptions, "seed">,
    addPoolingLayer: boolean,
    heads: (rng: Rng) => Module,
  ) {
    super();
    this.config = config;
    const rng = mulberry32(options.seed ?? 0);
    this.registerModule("bert", new BertModel(config, { addPoolingLayer, rng }));
    this.registerModule("cls", heads(rng));
  }

  /** The encoder. */
  get bert(): BertModel {
    return this.child<BertModel>("bert");
  }

  /** The tied word-embedding parameter (`[vocab, hidden]`), shared by input and output. */
  get wordEmbeddings(): Parameter {
    return this.bert.child<Module>("embeddings").child<Embedding>("word_embeddings").weight;
  }
}

/**
 * BERT with the masked-language-model head (Hugging Face `BertForMaskedLM`: `bert` without a
 * pooler, `cls.predictions.*`, decoder tied to `bert.embeddings.word_embeddings.weight`).
 * Feed `maskedPositions` to compute the vocabulary projection only where tokens were masked
 * (what pre-training needs: about 15% of the positions); the loss is the mean cross-entropy
 * over labels that are not -100. Build masked batches with `maskTokensForMlm`.
 *
 * @example
 * ```ts
 * const mlm = new BertForMaskedLM(config, { seed: 0 });
 * const { logits, loss } = mlm.forward({ inputIds, attentionMask, maskedPositions, labels }, ctx);
 * ```
 */
export class BertForMaskedLM extends BertWithTiedDecoder {
  constructor(config: BertConfig, options: Pick<BertHeadOptions, "seed"> = {}) {
    super(config, options, false, (rng) => new BertOnlyMlmHead(config, rng));
  }

  forward(inputs: BertMaskedLmInputs, ctx: ForwardContext = EVAL_CONTEXT): BertHeadOutput {
    const { lastHiddenState } = this.bert.forward(inputs, ctx);
    const head = this.child<BertOnlyMlmHead>("cls").predictions;
    return maskedLmHead(lastHiddenState, inputs, head, this.wordEmbeddings, ctx, "BertForMaskedLM");
  }
}

/**
 * The masked-LM part shared by {@link BertForMaskedLM} and `BertForPreTraining`: gathers the
 * masked positions (when given), projects them onto the vocabulary and, with labels, adds the
 * mean cross-entropy over labels that are not -100. Checks the position and label shapes.
 */
export function maskedLmHead(
  lastHiddenState: Tensor,
  inputs: Pick<BertMaskedLmInputs, "maskedPositions" | "labels">,
  head: BertLmPredictionHead,
  wordEmbeddings: Parameter,
  ctx: ForwardContext,
  who: string,
): BertHeadOutput {
  const [b, s, h] = lastHiddenState.shape as [number, number, number];
  const positions = inputs.maskedPositions;
  let hidden = reshape(lastHiddenState, [b * s, h]);
  if (positions) {
    if (positions.dtype !== "int32" || positions.rank !== 1) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `${who}: masked_positions must be int32 [N] (flat indices b * ${s} + t), got ${positions.dtype}[${positions.shape.join(", ")}]`,
      );
    }
    hidden = gather(hidden, positions);
  }
  const flatLogits = head.forward(hidden, wordEmbeddings, ctx);
  const v = flatLogits.shape[1]!;
  const logits = positions ? flatLogits : reshape(flatLogits, [b, s, v]);
  const labels = inputs.labels;
  if (!labels) return { logits };
  const n = flatLogits.shape[0]!;
  const want = positions ? `[${n}]` : `[${b}, ${s}]`;
  const got = labels.shape.reduce((p, d) => p * d, 1);
  if (labels.dtype !== "int32" || got !== n || labels.rank !== (positions ? 1 : 2)) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${who}: labels must be int32 ${want} (-100 = not predicted), got ${labels.dtype}[${labels.shape.join(", ")}]`,
    );
  }
  return { logits, loss: crossEntropy(flatLogits, reshape(labels, [n]), -100) };
}

/** The model inputs named by a step's Hugging Face batch keys (`input_ids`, `masked_positions`, …). */
export function maskedLmInputs(inputs: Readonly<Record<string, Tensor>>): BertMaskedLmInputs {
  return {
    inputIds: inputs.input_ids!,
    attentionMask: inputs.attention_mask,
    tokenTypeIds: inputs.token_type_ids,
    positionIds: inputs.position_ids,
    maskedPositions: inputs.masked_positions,
    labels: inputs.labels,
  };
}

/**
 * The {@link ForwardFn} of a {@link BertForMaskedLM} on batches from `maskTokensForMlm`
 * (`input_ids`, `attention_mask`, `masked_positions`, `labels`; optional `token_type_ids`,
 * `position_ids`), returning `loss` and, outside training (evaluation), `logits` (`[N, vocab]`;
 * a training step does not copy them out).
 *
 * @example
 * ```ts
 * const runner = new TrainStepRunner({ backend, params: mlm.namedParameters(), forward: maskedLmForward(mlm), optimizer: adamw() });
 * ```
 */
export function maskedLmForward(model: BertForMaskedLM): ForwardFn {
  return (_g, inputs, ctx) => {
    const out = model.forward(maskedLmInputs(inputs), ctx);
    if (out.loss === undefined) return { logits: out.logits };
    // [N, vocab] logits: copying them out of every training step would cost more than the step.
    return ctx.training ? { loss: out.loss } : { loss: out.loss, logits: out.logits };
  };
}
