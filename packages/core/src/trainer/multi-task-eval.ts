import { TunekitError } from "../errors.js";
import type { ResolvedTaskHead } from "../models/multitask/task-head.js";
import { MULTI_TASK_INPUTS, MULTI_TASK_OUTPUTS } from "../models/multitask/multi-task-model.js";
import type { TrainStepRunner } from "../train/train-step-runner.js";
import { type TaskMixture, taskBatch } from "./task-mixture.js";
import { type EvalLoopOptions, evaluationLoop } from "./trainer-eval.js";
import { TASK_METRICS } from "./trainer-metrics.js";
import type { TrainerModel } from "./trainer-model.js";
import { invalidOption, type TrainerOptions } from "./trainer-options.js";

/**
 * The name of the macro-averaged score of a multi-task evaluation: the mean over tasks of
 * each task's score metric. The default metric for the best checkpoint and early stopping.
 *
 * @example
 * ```ts
 * result.metrics[MACRO_METRIC]; // e.g. 0.71
 * ```
 */
export const MACRO_METRIC = "macro";

/**
 * The heads of a multi-task model, or a typed error saying the model has none.
 *
 * @example
 * ```ts
 * const heads = multiTaskHeads(model); // model.tasks
 * ```
 */
export function multiTaskHeads(model: TrainerModel): readonly ResolvedTaskHead[] {
  const tasks = model.tasks;
  if (tasks === undefined || tasks.length === 0 || typeof model.forwardBatch !== "function") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `Trainer: a task mixture needs a multi-task model (tasks and forwardBatch, e.g. MultiTaskModel); got ${model?.constructor?.name}`,
    );
  }
  return tasks;
}

/**
 * Evaluation settings of task `index` of a multi-task model: its kind, labels, and batches
 * routed to its head (`task_ids`), reading `logits_<i>` / `loss_<i>`.
 *
 * @example
 * ```ts
 * const loop = taskLoopOptions(model.tasks, 0, { batchSize: 32, padding: "longest", bucketing: false });
 * ```
 */
export function taskLoopOptions(
  heads: readonly ResolvedTaskHead[],
  index: number,
  base: Pick<EvalLoopOptions, "batchSize" | "padding" | "bucketing">,
): EvalLoopOptions {
  const h = heads[index]!;
  return {
    ...base,
    task: h.kind,
    numLabels: h.numLabels,
    labelNames: h.labels,
    collate: (data, rows, padding, withLabels) => taskBatch(heads, index, data, rows, padding, withLabels),
    names: {
      logits: MULTI_TASK_OUTPUTS.logits(index),
      loss: MULTI_TASK_OUTPUTS.loss(index),
      labels: MULTI_TASK_INPUTS.labels(index),
    },
  };
}

/**
 * The score metric of each mixture task (its `metric`, else the first of its kind's
 * metrics), checked against what the kind computes.
 *
 * @example
 * ```ts
 * mixtureScoreMetrics(mixture, model.tasks); // ["accuracy", "pearson"]
 * ```
 */
export function mixtureScoreMetrics(mixture: TaskMixture, heads: readonly ResolvedTaskHead[]): string[] {
  return mixture.tasks.map((t) => {
    const h = heads.find((x) => x.name === t.name)!;
    const allowed = TASK_METRICS[h.kind];
    const m = t.metric ?? allowed[0]!;
    if (!allowed.includes(m)) {
      invalidOption(`tasks["${t.name}"].metric`, m, `a ${h.kind} metric: ${allowed.join(", ")}`);
    }
    return m;
  });
}

/**
 * The metric names a multi-task evaluation reports: `macro`, and `<task>/loss` plus
 * `<task>/<metric>` for each task with evaluation rows.
 *
 * @example
 * ```ts
 * mixtureMetricNames(mixture, model.tasks); // ["macro", "sst2/loss", "sst2/accuracy", ...]
 * ```
 */
export function mixtureMetricNames(mixture: TaskMixture, heads: readonly ResolvedTaskHead[]): string[] {
  const names = [MACRO_METRIC];
  for (const t of mixture.tasks) {
    if (t.eval === undefined) continue;
    const h = heads.find((x) => x.name === t.name)!;
    names.push(`${t.name}/loss`, ...TASK_METRICS[h.kind].map((m) => `${t.name}/${m}`));
  }
  return names;
}

/**
 * What `fit` on a mixture trains toward: the reported metrics, the best-checkpoint metric
 * (default `macro`) and the early-stopping one, checked before any work.
 *
 * @example
 * ```ts
 * const { metricNames, bestMetric } = resolveMixtureTargets(options, mixture, model.tasks);
 * ```
 */
export function resolveMixtureTargets(
  o: TrainerOptions,
  mixture: TaskMixture,
  heads: readonly ResolvedTaskHead[],
): { metricNames: string[]; bestMetric: string; esMetric: string; hasEval: boolean } {
  if (o.metrics !== undefined) {
    invalidOption(
      "metrics",
      o.metrics,
      "no metrics option with a task mixture: each task reports its kind's metrics, and tasks[i].metric picks the one in the macro score",
    );
  }
  mixtureScoreMetrics(mixture, heads);
  const metricNames = mixtureMetricNames(mixture, heads);
  const hasEval = mixture.tasks.some((t) => t.eval !== undefined);
  const allowed = ["loss", ...metricNames];
  const bestMetric = o.metricForBest ?? (hasEval ? MACRO_METRIC : "loss");
  const check = (option: string, m: string): void => {
    if (!allowed.includes(m))
      invalidOption(option, m, `"loss" or one of ${metricNames.map((n) => `"${n}"`).join(", ")}`);
  };
  check("metricForBest", bestMetric);
  const esMetric = o.earlyStopping?.metric ?? bestMetric;
  if (o.earlyStopping) check("earlyStopping.metric", esMetric);
  if (!hasEval && (o.earlyStopping !== undefined || o.evaluation?.everySteps !== undefined)) {
    invalidOption(
      o.earlyStopping ? "earlyStopping" : "evaluation.everySteps",
      o.earlyStopping ?? o.evaluation?.everySteps,
      "evaluation rows: give at least one task of the mixture an eval set",
    );
  }
  return { metricNames, bestMetric, esMetric, hasEval };
}

/**
 * Evaluates every mixture task that has `eval` rows on its own head: per-task loss and
 * metrics (`<task>/<metric>`), `macro` (mean of the tasks' score metrics; an undefined score,
 * such as the Pearson correlation of a constant prediction, counts as 0) and `loss` (mean of
 * the task losses).
 *
 * @example
 * ```ts
 * const { loss, metrics } = await mixtureEvaluation(runner, mixture, model.tasks, { batchSize: 32, padding: "longest", bucketing: false });
 * ```
 */
export async function mixtureEvaluation(
  runner: TrainStepRunner,
  mixture: TaskMixture,
  heads: readonly ResolvedTaskHead[],
  base: Pick<EvalLoopOptions, "batchSize" | "padding" | "bucketing">,
): Promise<{ loss: number; metrics: Record<string, number>; numExamples: number }> {
  const scores = mixtureScoreMetrics(mixture, heads);
  const metrics: Record<string, number> = {};
  const taskMetrics: Record<string, number> = {};
  let lossSum = 0;
  let scoreSum = 0;
  let tasks = 0;
  let numExamples = 0;
  for (const [k, t] of mixture.tasks.entries()) {
    if (t.eval === undefined) continue;
    const index = heads.findIndex((h) => h.name === t.name);
    const loop = taskLoopOptions(heads, index, base);
    const r = await evaluationLoop(runner, t.eval, TASK_METRICS[loop.task], loop);
    taskMetrics[`${t.name}/loss`] = r.loss;
    for (const [m, v] of Object.entries(r.metrics)) taskMetrics[`${t.name}/${m}`] = v;
    lossSum += r.loss;
    // an undefined score (the Pearson correlation of a constant prediction is NaN) counts as 0
    // in macro, so one degenerate head does not hide the other tasks' scores
    const score = r.metrics[scores[k]!]!;
    scoreSum += Number.isNaN(score) ? 0 : score;
    tasks++;
    numExamples += r.numExamples;
  }
  metrics[MACRO_METRIC] = tasks > 0 ? scoreSum / tasks : Number.NaN;
  Object.assign(metrics, taskMetrics);
  return { loss: tasks > 0 ? lossSum / tasks : Number.NaN, metrics, numExamples };
}
