import type { TokenizedDataset } from "../data/batching.js";
import { TunekitError } from "../errors.js";
import type { BertConfig } from "../io/bert-config.js";
import type { Tensor } from "../ir/graph.js";
import type { BertHeadOutput } from "../models/bert/bert-heads.js";
import type { ResolvedTaskHead } from "../models/multitask/task-head.js";
import type { BertInputs } from "../models/bert/bert-model.js";
import type { ForwardContext } from "../modules/module.js";
import type { Parameter } from "../modules/parameter.js";
import type { ForwardFn } from "../train/train-step.js";
import { reshape } from "../ir/ops.js";
import { weightedCrossEntropy } from "./class-weights.js";

/**
 * What a model's generic forward returns: the scalar `loss` (when the batch has labels)
 * and named outputs (`logits`, or `logits_<i>` per task, ...).
 *
 * @example
 * ```ts
 * const out: ModelBatchOutput = { loss, outputs: { logits } };
 * ```
 */
export interface ModelBatchOutput {
  readonly loss?: Tensor | undefined;
  readonly outputs: Readonly<Record<string, Tensor>>;
}

/**
 * What the Trainer trains. Two shapes:
 * - generic: `forwardBatch(inputs, ctx)` reads the named batch inputs it lists in
 *   `batchFields` and returns `{ loss, outputs }` (multi-task models, decoders, anything);
 * - BERT-shaped: `forward(bertInputs, ctx)` returning `{ logits, loss? }` (`BertForSequenceClassification`,
 *   `BertForTokenClassification`, or the model a strategy returns).
 * `forwardBatch` wins when both exist. `config` (when present) is written to checkpoints as
 * `config.json`; `tasks` (multi-task models) name the heads `task_ids` selects.
 *
 * @example
 * ```ts
 * const model: TrainerModel = new BertForSequenceClassification(config, { numLabels: 2 });
 * ```
 */
export interface TrainerModel {
  namedParameters(): [string, Parameter][];
  forward?(inputs: BertInputs, ctx: ForwardContext): BertHeadOutput;
  forwardBatch?(inputs: Readonly<Record<string, Tensor>>, ctx: ForwardContext): ModelBatchOutput;
  /** Batch inputs `forwardBatch` needs (checked before a graph is built). */
  readonly batchFields?: readonly string[];
  readonly numLabels?: number;
  readonly config?: BertConfig;
  readonly labels?: readonly string[];
  readonly tasks?: readonly ResolvedTaskHead[];
  /**
   * The task the model is scored as, when its data alone cannot tell: a causal LM's rows carry
   * `tokenLabels` like token classification, but it sets `"causal-lm"` (evaluated by its loss
   * alone, so its `forwardBatch` need return no logits).
   */
  readonly trainerTask?: TrainerTask;
}

/**
 * The kind of problem: sequence classification (cross-entropy), sequence regression
 * (MSE, e.g. STS-B), token classification (cross-entropy per token, -100 ignored) or causal
 * language modelling (next-token cross-entropy on `tokenLabels`, scored by loss and perplexity).
 *
 * @example
 * ```ts
 * const task: TrainerTask = "regression";
 * ```
 */
export type TrainerTask = "classification" | "regression" | "token-classification" | "causal-lm";

/**
 * A tokenised data set for the Trainer. For token classification add `tokenLabels`: one
 * `Int32Array` per row, aligned with `ids` (special tokens included), -100 where no label.
 * Packed causal-LM rows (`packCausalLm`) add `segmentIds` (the example of each token), fed
 * as `position_ids` and a block-diagonal `[B, S, S]` `attention_mask`.
 *
 * @example
 * ```ts
 * const data: TrainerData = { ...tokenizeDataset(split, tok, { maxLength: 64 }), tokenLabels };
 * ```
 */
export type TrainerData = TokenizedDataset & {
  readonly tokenLabels?: readonly Int32Array[];
  readonly segmentIds?: readonly Int32Array[];
};

/**
 * Batch input names fed to the step graphs (Hugging Face names).
 *
 * @example
 * ```ts
 * const feeds = { [BATCH_INPUTS.inputIds]: batch.inputIds, [BATCH_INPUTS.labels]: batch.labels };
 * ```
 */
export const BATCH_INPUTS = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  tokenTypeIds: "token_type_ids",
  labels: "labels",
} as const;

/**
 * The task of `model` trained on `data`: token classification when the data has
 * `tokenLabels`, regression for float labels, classification otherwise. Checks that the
 * model's label count fits.
 *
 * @example
 * ```ts
 * inferTask(model, tokenizedTrain); // "classification"
 * ```
 */
export function inferTask(model: TrainerModel, data: TrainerData): TrainerTask {
  if (model.trainerTask !== undefined) return model.trainerTask;
  const task: TrainerTask =
    data.tokenLabels !== undefined
      ? "token-classification"
      : data.task === "regression"
        ? "regression"
        : "classification";
  const n = model.numLabels;
  if (task === "regression" && n !== undefined && n !== 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `Trainer: the data is regression (float labels) but the model has ${n} labels; build the model with numLabels: 1`,
    );
  }
  if (task !== "regression" && n !== undefined && n < 2 && data.labels !== undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `Trainer: the data is ${task} but the model has ${n} label; build it with numLabels equal to the number of classes`,
    );
  }
  return task;
}

/**
 * The {@link ForwardFn} of a {@link TrainerModel} on Hugging Face-named batch inputs,
 * returning `loss` (when labels are fed) and `logits`. With `classWeights`, int32 labels
 * (classification `[B]`, token classification `[B, S]`) are scored by
 * {@link weightedCrossEntropy} instead of the model's own loss.
 *
 * @example
 * ```ts
 * const runner = new TrainStepRunner({ backend, params, forward: trainerForward(model), optimizer: adamw() });
 * ```
 */
export function trainerForward(
  model: TrainerModel,
  loss: { readonly classWeights?: readonly number[] | undefined } = {},
): ForwardFn {
  if (typeof model.forwardBatch === "function") {
    return (_g, inputs, ctx) => {
      const missing = (model.batchFields ?? []).filter((f) => inputs[f] === undefined);
      if (missing.length > 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `${model.constructor.name} needs batch inputs ${missing.join(", ")}; the batch has ${Object.keys(inputs).join(", ") || "none"}`,
        );
      }
      const { loss, outputs } = model.forwardBatch!(inputs, ctx);
      return loss === undefined ? { ...outputs } : { ...outputs, loss };
    };
  }
  if (typeof model.forward !== "function") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model?.constructor?.name ?? String(model)} has neither forwardBatch(inputs, ctx) nor forward(bertInputs, ctx); the Trainer needs one of them`,
    );
  }
  const weights = loss.classWeights;
  return (_g, inputs, ctx) => {
    const get = (name: string): Tensor | undefined => inputs[name];
    const labels = get(BATCH_INPUTS.labels);
    const weighted = weights !== undefined && labels !== undefined && labels.dtype === "int32";
    const out = model.forward!(
      {
        inputIds: get(BATCH_INPUTS.inputIds)!,
        attentionMask: get(BATCH_INPUTS.attentionMask),
        tokenTypeIds: get(BATCH_INPUTS.tokenTypeIds),
        labels: weighted ? undefined : labels,
      },
      ctx,
    );
    if (weighted) {
      const c = out.logits.shape.at(-1)!;
      const n = labels.shape.reduce((a, b) => a * b, 1);
      const l = weightedCrossEntropy(reshape(out.logits, [n, c]), reshape(labels, [n]), weights);
      return { loss: l, logits: out.logits };
    }
    return out.loss === undefined ? { logits: out.logits } : { loss: out.loss, logits: out.logits };
  };
}
