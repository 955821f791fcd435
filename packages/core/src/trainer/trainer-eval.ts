import type { PaddingStrategy } from "../data/padding.js";
import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { TrainStepRunner } from "../train/train-step-runner.js";
import { evalBatches, type TrainerBatch, trainerBatch } from "./trainer-data.js";
import { confusionMatrix } from "../metrics/classification.js";
import { computeMetrics } from "./trainer-metrics.js";
import type { TrainerData, TrainerTask } from "./trainer-model.js";

/**
 * What `predict` returns, rows in the data's order. Sequence tasks: `logits[i]` has
 * `numLabels` values and `predictions[i]` is the class id (or the regression value).
 * Token classification: `logits[i]` is `[length_i × numLabels]` row-major over the row's
 * real tokens and `tokenPredictions[i]` the class id of each token.
 *
 * @example
 * ```ts
 * const { predictions, probabilities, labels } = await trainer.predict(test);
 * console.log(labels?.[0], probabilities?.[0]);
 * ```
 */
export interface PredictResult {
  readonly task: TrainerTask;
  readonly numLabels: number;
  readonly logits: readonly Float32Array[];
  /** Softmax of the logits (not for regression). */
  readonly probabilities: readonly Float32Array[] | undefined;
  /** Sequence tasks: class id or regression value per row (empty for token classification). */
  readonly predictions: readonly number[];
  /** Token classification: class ids per real token of each row. */
  readonly tokenPredictions: readonly Int32Array[] | undefined;
  /** Predicted label names per row (sequence classification, when the model has labels). */
  readonly labels: readonly string[] | undefined;
}

/**
 * Settings shared by the evaluation and prediction loops.
 *
 * @example
 * ```ts
 * const o: EvalLoopOptions = { task: "classification", numLabels: 2, batchSize: 32, padding: "longest", bucketing: false };
 * ```
 */
export interface EvalLoopOptions {
  readonly task: TrainerTask;
  readonly numLabels: number;
  readonly batchSize: number;
  readonly padding: PaddingStrategy;
  readonly bucketing: { readonly windowBatches?: number } | false;
  /** Label names by id (for entity metrics; default `LABEL_<id>`). */
  readonly labelNames?: readonly string[] | undefined;
  /** Feeds of the rows of a batch (default {@link trainerBatch}; multi-task models route rows by task). */
  readonly collate?: (
    data: TrainerData,
    rows: Int32Array,
    padding: PaddingStrategy,
    withLabels: boolean,
  ) => TrainerBatch;
  /** Names of the logits and loss outputs and of the labels feed (default `logits`, `loss`, `labels`). */
  readonly names?: { readonly logits: string; readonly loss: string; readonly labels: string };
}

const DEFAULT_NAMES = { logits: "logits", loss: "loss", labels: "labels" } as const;

function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (data[offset + c]! > data[offset + best]!) best = c;
  return best;
}

function softmax(logits: Float32Array, n: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let o = 0; o < logits.length; o += n) {
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < n; c++) m = Math.max(m, logits[o + c]!);
    let s = 0;
    for (let c = 0; c < n; c++) s += Math.exp(logits[o + c]! - m);
    for (let c = 0; c < n; c++) out[o + c] = Math.exp(logits[o + c]! - m) / s;
  }
  return out;
}

function logitsOf(out: Record<string, HostTensor>, name: string): HostTensor {
  const logits = out[name];
  if (logits === undefined) {
    throw new TunekitError(
      "GRAPH_INVALID",
      `Trainer: the model's forward returned no "${name}" output (it returned ${Object.keys(out).join(", ") || "nothing"}); return { logits, loss? }`,
    );
  }
  return logits;
}

/**
 * Mean loss (weighted by rows, or by labeled tokens) and metrics over `data`; for
 * (token) classification also the confusion matrix (`confusion[true][predicted]`, tokens
 * with a label for token classification).
 *
 * @example
 * ```ts
 * const { loss, metrics } = await evaluationLoop(runner, validation, ["accuracy"], loopOptions);
 * ```
 */
export async function evaluationLoop(
  runner: TrainStepRunner,
  data: TrainerData,
  metricNames: readonly string[],
  o: EvalLoopOptions,
): Promise<{
  loss: number;
  metrics: Record<string, number>;
  numExamples: number;
  confusion?: number[][];
}> {
  const preds: number[] = [];
  const golds: number[] = [];
  const sequences = { predicted: [] as number[][], gold: [] as number[][] };
  let lossSum = 0;
  let weight = 0;
  const names = o.names ?? DEFAULT_NAMES;
  const collate = o.collate ?? trainerBatch;
  if (o.task === "causal-lm") return causalLmEvaluation(runner, data, metricNames, o);
  for (const rows of evalBatches(data, o.batchSize, o.bucketing)) {
    const batch = collate(data, rows, o.padding, true);
    const out = await runner.evaluate(batch.feeds);
    const logits = logitsOf(out, names.logits).data;
    const labels = batch.feeds[names.labels]!.data;
    let w = rows.length;
    if (o.task === "token-classification") {
      w = 0;
      const s = labels.length / rows.length;
      for (let r = 0; r < rows.length; r++) {
        const rowPred: number[] = [];
        const rowGold: number[] = [];
        for (let i = r * s; i < (r + 1) * s; i++) {
          if (labels[i] === -100) continue;
          rowPred.push(argmax(logits, i * o.numLabels, o.numLabels));
          rowGold.push(labels[i]!);
        }
        w += rowGold.length;
        preds.push(...rowPred);
        golds.push(...rowGold);
        sequences.predicted.push(rowPred);
        sequences.gold.push(rowGold);
      }
    } else {
      for (let i = 0; i < rows.length; i++) {
        preds.push(
          o.task === "regression" ? logits[i * o.numLabels]! : argmax(logits, i * o.numLabels, o.numLabels),
        );
        golds.push(labels[i]!);
      }
    }
    if (w > 0) {
      lossSum += out[names.loss]!.data[0]! * w;
      weight += w;
    }
  }
  const metrics = computeMetrics(o.task, metricNames, preds, golds, o.numLabels, {
    sequences,
    labelNames: o.labelNames,
  });
  const loss = weight > 0 ? lossSum / weight : Number.NaN;
  const numExamples = data.lengths.length;
  if (o.task === "regression" || golds.length === 0) return { loss, metrics, numExamples };
  return { loss, metrics, numExamples, confusion: confusionMatrix(preds, golds, o.numLabels) };
}

/**
 * A causal LM's evaluation: the loss weighted by each batch's supervised tokens (labels other
 * than -100 after each row's first position, which the model's shifted loss averages over)
 * and `perplexity = exp(loss)`. Reads only the loss output, so the model need return no logits.
 *
 * @example
 * ```ts
 * const { loss, metrics } = await causalLmEvaluation(runner, validation, ["perplexity"], loop);
 * ```
 */
export async function causalLmEvaluation(
  runner: TrainStepRunner,
  data: TrainerData,
  metricNames: readonly string[],
  o: EvalLoopOptions,
): Promise<{ loss: number; metrics: Record<string, number>; numExamples: number }> {
  const names = o.names ?? DEFAULT_NAMES;
  const collate = o.collate ?? trainerBatch;
  let lossSum = 0;
  let weight = 0;
  for (const rows of evalBatches(data, o.batchSize, o.bucketing)) {
    const batch = collate(data, rows, o.padding, true);
    const labels = batch.feeds[names.labels]!;
    const s = labels.shape[1]!;
    let w = 0;
    for (let i = 0; i < labels.data.length; i++) if (i % s !== 0 && labels.data[i] !== -100) w++;
    if (w === 0) continue;
    // The loss alone: the [B, S, V] logits are then neither computed nor copied out (a forward
    // without a loss output is refused by evaluate, naming what it returns).
    const loss = (await runner.evaluate(batch.feeds, { outputs: [names.loss] }))[names.loss]!;
    lossSum += loss.data[0]! * w;
    weight += w;
  }
  const loss = weight > 0 ? lossSum / weight : Number.NaN;
  const metrics: Record<string, number> = {};
  for (const name of metricNames) {
    if (name !== "perplexity") {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `Trainer: metric "${name}" is not defined for a causal LM; expected "perplexity" (and "loss", always reported)`,
      );
    }
    metrics[name] = Math.exp(loss);
  }
  return { loss, metrics, numExamples: data.lengths.length };
}

/**
 * Logits, probabilities and predicted classes (or values) for every row of `data`.
 *
 * @example
 * ```ts
 * const result = await predictionLoop(runner, test, loopOptions, model.labels);
 * ```
 */
export async function predictionLoop(
  runner: TrainStepRunner,
  data: TrainerData,
  o: EvalLoopOptions,
  labelNames: readonly string[] | undefined,
): Promise<PredictResult> {
  const n = data.lengths.length;
  const c = o.numLabels;
  const logits: Float32Array[] = new Array(n);
  let perToken = o.task === "token-classification";
  const names = o.names ?? DEFAULT_NAMES;
  const collate = o.collate ?? trainerBatch;
  for (const rows of evalBatches(data, o.batchSize, o.bucketing)) {
    const batch = collate(data, rows, o.padding, false);
    const out = logitsOf(await runner.evaluate(batch.feeds), names.logits);
    const all = out.data as Float32Array;
    perToken = out.shape.length === 3; // [B, S, C]: a token classification head, labels or not
    const s = batch.feeds.input_ids!.shape[1]!;
    rows.forEach((row, i) => {
      logits[row] = perToken
        ? all.slice(i * s * c, (i * s + batch.lengths[i]!) * c)
        : all.slice(i * c, (i + 1) * c);
    });
  }
  const regression = !perToken && o.task === "regression";
  const probabilities = regression ? undefined : logits.map((l) => softmax(l, c));
  if (perToken) {
    const tokenPredictions = logits.map((l) =>
      Int32Array.from({ length: l.length / c }, (_, t) => argmax(l, t * c, c)),
    );
    return {
      task: "token-classification",
      numLabels: c,
      logits,
      probabilities,
      predictions: [],
      tokenPredictions,
      labels: undefined,
    };
  }
  const predictions = logits.map((l) => (regression ? l[0]! : argmax(l, 0, c)));
  const labels =
    regression || labelNames === undefined ? undefined : predictions.map((p) => labelNames[p] ?? String(p));
  return {
    task: o.task,
    numLabels: c,
    logits,
    probabilities,
    predictions,
    tokenPredictions: undefined,
    labels,
  };
}
