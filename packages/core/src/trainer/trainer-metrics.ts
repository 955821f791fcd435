import { accuracy, macroF1 } from "../metrics/classification.js";
import { pearson, spearman } from "../metrics/correlation.js";
import { matthewsCorrelation } from "../metrics/matthews.js";
import { entityScores } from "./entity-metrics.js";
import { checkTrainerData } from "./trainer-data.js";
import { inferTask, type TrainerData, type TrainerTask } from "./trainer-model.js";
import { invalidOption, type TrainerOptions } from "./trainer-options.js";

/**
 * Metric names available per task. `loss` is always reported and may be used for
 * `metricForBest` / early stopping. Token classification scores tokens with a label
 * (not -100); `entity_f1` is the seqeval-style entity F1 over each row's labeled tokens
 * (IOB1/IOB2/IOBES label names such as `B-PER`; see {@link entityScores}). A causal LM is
 * scored by its loss alone: `perplexity` is `exp(loss)`, the loss being the mean next-token
 * cross-entropy over every supervised token of the data.
 *
 * @example
 * ```ts
 * TASK_METRICS.regression; // ["pearson", "spearman", "mse"]
 * ```
 */
export const TASK_METRICS: Readonly<Record<TrainerTask, readonly string[]>> = {
  classification: ["accuracy", "macro_f1", "mcc"],
  regression: ["pearson", "spearman", "mse"],
  "token-classification": ["accuracy", "macro_f1", "entity_f1"],
  "causal-lm": ["perplexity"],
};

/** Metrics where smaller is better. */
const MINIMISED = new Set(["loss", "mse", "perplexity"]);

/**
 * Whether larger values of `metric` are better (`loss` and `mse`: no).
 *
 * @example
 * ```ts
 * defaultMetricMode("accuracy"); // "max"
 * ```
 */
export function defaultMetricMode(metric: string): "max" | "min" {
  return MINIMISED.has(metric) ? "min" : "max";
}

/**
 * Checks metric names for `task` and returns them (default: every metric of the task).
 *
 * @example
 * ```ts
 * resolveMetrics("classification", ["accuracy"]); // ["accuracy"]
 * ```
 */
export function resolveMetrics(task: TrainerTask, names: readonly string[] | undefined): string[] {
  const allowed = TASK_METRICS[task];
  if (names === undefined) return [...allowed];
  for (const n of names) {
    if (!allowed.includes(n)) {
      invalidOption("metrics", n, `metric names for ${task}: ${allowed.map((a) => `"${a}"`).join(", ")}`);
    }
  }
  return [...names];
}

/**
 * Checks that `metric` (for best checkpoint / early stopping) is `loss` or one of `metrics`.
 *
 * @example
 * ```ts
 * checkSelectionMetric("metricForBest", "accuracy", ["accuracy", "mcc"]);
 * ```
 */
export function checkSelectionMetric(option: string, metric: string, metrics: readonly string[]): void {
  if (metric !== "loss" && !metrics.includes(metric)) {
    invalidOption(
      option,
      metric,
      `"loss" or one of the computed metrics: ${metrics.map((m) => `"${m}"`).join(", ")}`,
    );
  }
}

/**
 * Computes `names` from predictions and labels: class ids for classification (and per
 * token for token classification, already filtered), values for regression.
 *
 * @example
 * ```ts
 * computeMetrics("classification", ["accuracy"], [1, 0], [1, 1], 2); // { accuracy: 0.5 }
 * ```
 */
export function computeMetrics(
  task: TrainerTask,
  names: readonly string[],
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numLabels: number,
  extra: {
    /** Class ids per row (token classification), for entity metrics. */
    readonly sequences?: { readonly predicted: readonly number[][]; readonly gold: readonly number[][] };
    readonly labelNames?: readonly string[] | undefined;
  } = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    if (labels.length === 0) {
      out[name] = Number.NaN;
      continue;
    }
    switch (name) {
      case "accuracy":
        out[name] = accuracy(predictions, labels);
        break;
      case "macro_f1":
        out[name] = macroF1(predictions, labels, task === "regression" ? undefined : numLabels);
        break;
      case "mcc":
        out[name] = matthewsCorrelation(predictions, labels, numLabels);
        break;
      case "pearson":
        out[name] = pearson(predictions, labels);
        break;
      case "spearman":
        out[name] = spearman(predictions, labels);
        break;
      case "entity_f1": {
        const seqs = extra.sequences ?? { predicted: [Array.from(predictions)], gold: [Array.from(labels)] };
        const tagOf = (id: number): string => extra.labelNames?.[id] ?? `LABEL_${id}`;
        out[name] = entityScores(
          seqs.predicted.map((r) => r.map(tagOf)),
          seqs.gold.map((r) => r.map(tagOf)),
        ).f1;
        break;
      }
      case "mse": {
        let s = 0;
        for (let i = 0; i < labels.length; i++) s += (predictions[i]! - labels[i]!) ** 2;
        out[name] = s / labels.length;
        break;
      }
      default:
        invalidOption("metrics", name, `one of ${TASK_METRICS[task].join(", ")}`);
    }
  }
  return out;
}

/**
 * What a `Trainer.fit` trains toward, checked before any work: the task of `train`, the
 * metrics to compute, the metric that picks the best checkpoint and the early-stopping one;
 * early stopping and every-N-steps evaluation need `evalData`.
 *
 * @example
 * ```ts
 * const { task, metricNames, bestMetric } = resolveFitTargets(options, train, validation);
 * ```
 */
export function resolveFitTargets(
  o: TrainerOptions,
  train: TrainerData,
  evalData: TrainerData | undefined,
): {
  task: TrainerTask;
  metricNames: string[];
  bestMetric: string;
  esMetric: string;
  evalData: TrainerData | undefined;
} {
  checkTrainerData(train, "train");
  if (evalData !== undefined) checkTrainerData(evalData, "evalData");
  const task = inferTask(o.model, train);
  if (o.classWeights !== undefined && task !== "classification" && task !== "token-classification") {
    invalidOption(
      "classWeights",
      o.classWeights,
      `no class weights for a ${task} task (they weight classification losses)`,
    );
  }
  const metricNames = resolveMetrics(task, o.metrics);
  const bestMetric = o.metricForBest ?? "loss";
  checkSelectionMetric("metricForBest", bestMetric, metricNames);
  const esMetric = o.earlyStopping?.metric ?? bestMetric;
  if (o.earlyStopping) checkSelectionMetric("earlyStopping.metric", esMetric, metricNames);
  if (evalData === undefined && (o.earlyStopping !== undefined || o.evaluation?.everySteps !== undefined)) {
    invalidOption(
      o.earlyStopping ? "earlyStopping" : "evaluation.everySteps",
      o.earlyStopping ?? o.evaluation?.everySteps,
      "evalData in fit(train, { evalData }) to evaluate on",
    );
  }
  return { task, metricNames, bestMetric, esMetric, evalData };
}
