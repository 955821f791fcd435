import { mulberry32 } from "../../data/random.js";
import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";
import { crossEntropy } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import { abs, add, cast, exp, log, maximum, mean, mul, neg, reshape, sub } from "../../ir/ops.js";
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

/** Common part of the heads: `bert`, `dropout`, `classifier`. */
abstract class BertClassifierBase extends Module {
  readonly config: BertConfig;
  readonly numLabels: number;

  constructor(config: BertConfig, options: BertHeadOptions, addPoolingLayer: boolean) {
    super();
    this.config = config;
    this.numLabels = resolveNumLabels(config, options.numLabels);
    const rng = mulberry32(options.seed ?? 0);
    this.registerModule("bert", new BertModel(config, { addPoolingLayer, rng }));
    this.registerModule("dropout", new Dropout(config.classifierDropout ?? config.hiddenDropoutProb));
    this.registerModule(
      "classifier",
      new Linear(config.hiddenSize, this.numLabels, { rng, std: config.initializerRange }),
    );
  }

  /** The encoder. */
  get bert(): BertModel {
    return this.child<BertModel>("bert");
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
 * `[CLS]`). Loss: cross-entropy for single-label, MSE for regression (`num_labels` 1 or
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

  forward(inputs: BertInputs, ctx: ForwardContext = EVAL_CONTEXT): BertHeadOutput {
    const { poolerOutput } = this.bert.forward(inputs, ctx);
    const logits = this.classify(poolerOutput!, ctx);
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
 * BERT with a token classification head (no pooler; `classifier` on every token). Loss:
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
