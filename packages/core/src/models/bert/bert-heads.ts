import { mulberry32, type Rng } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import { crossEntropy } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import {
  abs,
  add,
  cast,
  exp,
  log,
  maximum,
  mean,
  mul,
  neg,
  reshape,
  slice,
  sub,
  tanh,
} from "../../ir/ops.js";
import { encoderPrefix } from "../../io/encoder-config.js";
import { gelu } from "../../ir/composites.js";
import { Dropout } from "../../modules/dropout.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";
import { type BertInputs, BertModel } from "./bert-model.js";

/**
 * Output of a BERT head: logits and, when labels were given, the scalar loss.
 *
 * @example
 * ```ts
 * const { logits, loss } = model.forward(inputs, ctx);
 * ```
 */
export interface BertHeadOutput {
  readonly logits: Tensor;
  readonly loss?: Tensor;
}

/** Options of the BERT heads. @example `new BertForSequenceClassification(config, { numLabels: 3, seed: 1 })` */
export interface BertHeadOptions {
  /** Number of labels (default: from the config's `id2label` / `num_labels`). */
  readonly numLabels?: number;
  /** Seed of the random initialisation (default 0). */
  readonly seed?: number;
}

/**
 * Problem types of sequence classification, as Hugging Face's `problem_type`.
 *
 * @example
 * ```ts
 * const problem: BertProblemType = model.problemType("float32"); // "regression" when num_labels is 1
 * ```
 */
export type BertProblemType = "regression" | "single_label_classification" | "multi_label_classification";

function resolveNumLabels(config: BertConfig, numLabels: number | undefined): number {
  const n = numLabels ?? config.numLabels;
  if (!Number.isInteger(n) || n < 1) {
    throw new TunekitError("CONFIG_INVALID", `num_labels must be a positive integer, got ${n}`);
  }
  return n;
}

/**
 * RoBERTa's and ELECTRA's `classifier` of sequence classification, on the first token
 * (`<s>`): `dropout`, `dense`, tanh (RoBERTa) or exact gelu (ELECTRA), `dropout`, `out_proj`.
 *
 * @example
 * ```ts
 * const head = new EncoderClassificationHead(config, 3, rng); // registered as `classifier`
 * const logits = head.forward(lastHiddenState, ctx); // [B, 3]
 * ```
 */
export class EncoderClassificationHead extends Module {
  readonly activation: "tanh" | "gelu";

  constructor(config: BertConfig, numLabels: number, rng: Rng) {
    super();
    this.activation = config.modelType === "electra" ? "gelu" : "tanh";
    const h = config.hiddenSize;
    const init = { rng, std: config.initializerRange };
    this.registerModule("dense", new Linear(h, h, init));
    this.registerModule("dropout", new Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.registerModule("out_proj", new Linear(h, numLabels, init));
  }

  /** `hidden`: `[B, S, H]`; reads position 0. */
  forward(hidden: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const drop = this.child<Layer>("dropout");
    const x = this.child<Layer>("dense").forward(drop.forward(firstToken(hidden), ctx), ctx);
    const y = this.activation === "gelu" ? gelu(x, "none") : tanh(x);
    return this.child<Layer>("out_proj").forward(drop.forward(y, ctx), ctx);
  }
}

function firstToken(hidden: Tensor): Tensor {
  const [b, , h] = hidden.shape as [number, number, number];
  return reshape(slice(hidden, [0, 0, 0], [-1, 1, -1]), [b, h]);
}

/**
 * Common part of the heads: the encoder under its Hugging Face attribute (`bert`, `roberta`,
 * `electra`, `distilbert`) and the head modules. {@link BertForSequenceClassification} and
 * {@link BertForTokenClassification} extend it; code that takes either can type it so.
 *
 * @example
 * ```ts
 * const labelsOf = (m: BertClassifierBase): number => m.numLabels;
 * ```
 */
export abstract class BertClassifierBase extends Module {
  readonly config: BertConfig;
  readonly numLabels: number;
  /** Attribute of the encoder, the first segment of parameter names (`bert`, `roberta`, ...). */
  readonly encoderName: string;

  constructor(config: BertConfig, options: BertHeadOptions, sequence: boolean) {
    super();
    this.config = config;
    this.numLabels = resolveNumLabels(config, options.numLabels);
    this.encoderName = encoderPrefix(config.modelType);
    const rng = mulberry32(options.seed ?? 0);
    const t = config.modelType;
    const addPoolingLayer = sequence && t === "bert";
    this.registerModule(this.encoderName, new BertModel(config, { addPoolingLayer, rng }));
    const h = config.hiddenSize;
    const init = { rng, std: config.initializerRange };
    if (sequence && (t === "roberta" || t === "xlm-roberta" || t === "electra")) {
      this.registerModule("classifier", new EncoderClassificationHead(config, this.numLabels, rng));
      return;
    }
    if (sequence && t === "distilbert") this.registerModule("pre_classifier", new Linear(h, h, init));
    const rate =
      t === "distilbert" && !sequence
        ? config.hiddenDropoutProb
        : (config.classifierDropout ?? config.hiddenDropoutProb);
    this.registerModule("dropout", new Dropout(rate));
    this.registerModule("classifier", new Linear(h, this.numLabels, init));
  }

  /** The encoder. */
  get bert(): BertModel {
    return this.child<BertModel>(this.encoderName);
  }

  /** Label names by id (from `id2label`, else `LABEL_i`). */
  get labels(): string[] {
    return Array.from({ length: this.numLabels }, (_, i) => this.config.id2label?.[i] ?? `LABEL_${i}`);
  }

  protected classify(h: Tensor, ctx: ForwardContext): Tensor {
    return this.child<Layer>("classifier").forward(this.child<Layer>("dropout").forward(h, ctx), ctx);
  }
}

/**
 * BERT with a sequence classification head (`bert`, `dropout`, `classifier` on the pooled
 * `[CLS]`); by `config.modelType` the other encoders with their Hugging Face heads: RoBERTa /
 * XLM-RoBERTa / ELECTRA (`roberta` / `electra` and an {@link EncoderClassificationHead} as
 * `classifier`, on the first token), DistilBERT (`distilbert`, then `pre_classifier`, ReLU,
 * `dropout`, `classifier` on the first token). Loss: cross-entropy for single-label, MSE for regression (`num_labels` 1 or
 * `problem_type: "regression"`), binary cross-entropy with logits for multi-label (float
 * labels `[B, C]`), as Hugging Face picks it.
 *
 * @example
 * ```ts
 * const model = new BertForSequenceClassification(config, { numLabels: 3 });
 * const { logits, loss } = model.forward({ inputIds, attentionMask, labels }, EVAL_CONTEXT);
 * ```
 */
export class BertForSequenceClassification extends BertClassifierBase {
  constructor(config: BertConfig, options: BertHeadOptions = {}) {
    super(config, options, true);
  }

  /** The problem type for labels of `labelsDType` (config `problem_type` wins). */
  problemType(labelsDType: Tensor["dtype"]): BertProblemType {
    const configured = this.config.problemType;
    if (configured) return configured;
    if (this.numLabels === 1) return "regression";
    return labelsDType === "int32" ? "single_label_classification" : "multi_label_classification";
  }

  private head(hidden: Tensor, pooled: Tensor | undefined, ctx: ForwardContext): Tensor {
    if (pooled !== undefined) return this.classify(pooled, ctx);
    if (this.config.modelType === "distilbert") {
      const x = maximum(this.child<Layer>("pre_classifier").forward(firstToken(hidden), ctx), 0);
      return this.classify(x, ctx);
    }
    return this.child<EncoderClassificationHead>("classifier").forward(hidden, ctx);
  }

  forward(inputs: BertInputs, ctx: ForwardContext = EVAL_CONTEXT): BertHeadOutput {
    const { lastHiddenState, poolerOutput } = this.bert.forward(inputs, ctx);
    const logits = this.head(lastHiddenState, poolerOutput, ctx);
    const labels = inputs.labels;
    if (!labels) return { logits };
    return { logits, loss: sequenceLoss(logits, labels, this.problemType(labels.dtype)) };
  }
}

function sequenceLoss(logits: Tensor, labels: Tensor, problem: BertProblemType): Tensor {
  const [b, c] = logits.shape as [number, number];
  const expect = (ok: boolean, want: string): void => {
    if (!ok) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `${problem}: labels must be ${want}, got ${labels.dtype}[${labels.shape.join(", ")}]`,
      );
    }
  };
  if (problem === "single_label_classification") {
    expect(labels.dtype === "int32" && labels.rank === 1 && labels.shape[0] === b, `int32 [${b}]`);
    return crossEntropy(logits, labels);
  }
  const y = cast(labels, "float32");
  if (problem === "regression") {
    expect(labels.shape.reduce((p, d) => p * d, 1) === b * c, `[${b}]${c > 1 ? ` or [${b}, ${c}]` : ""}`);
    const d = sub(reshape(logits, [b * c]), reshape(y, [b * c]));
    return mean(mul(d, d));
  }
  expect(labels.rank === 2 && labels.shape[0] === b && labels.shape[1] === c, `float32 [${b}, ${c}]`);
  // BCEWithLogits, stable form: max(x, 0) - x*y + log(1 + exp(-|x|))
  const x = logits;
  return mean(add(sub(maximum(x, 0), mul(x, y)), log(add(exp(neg(abs(x))), 1))));
}

/**
 * BERT with a token classification head (no pooler; `classifier` on every token); the
 * encoder is `roberta`, `electra` or `distilbert` by `config.modelType`, as Hugging Face's. Loss:
 * cross-entropy over tokens, skipping labels equal to -100 (int32 labels `[B, S]`).
 *
 * @example
 * ```ts
 * const model = new BertForTokenClassification(config, { numLabels: 9 });
 * const { logits } = model.forward({ inputIds, attentionMask }, EVAL_CONTEXT); // [B, S, 9]
 * ```
 */
export class BertForTokenClassification extends BertClassifierBase {
  constructor(config: BertConfig, options: BertHeadOptions = {}) {
    super(config, options, false);
  }

  forward(inputs: BertInputs, ctx: ForwardContext = EVAL_CONTEXT): BertHeadOutput {
    const { lastHiddenState } = this.bert.forward(inputs, ctx);
    const logits = this.classify(lastHiddenState, ctx);
    const labels = inputs.labels;
    if (!labels) return { logits };
    const [b, s, c] = logits.shape as [number, number, number];
    if (labels.dtype !== "int32" || labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== s) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `token classification: labels must be int32 [${b}, ${s}] (-100 = ignore), got ${labels.dtype}[${labels.shape.join(", ")}]`,
      );
    }
    return { logits, loss: crossEntropy(reshape(logits, [b * s, c]), reshape(labels, [b * s]), -100) };
  }
}
