import type { ResolvedTaskHead } from "../models/multitask/task-head.js";
import type { TrainStepRunner } from "../train/train-step-runner.js";
import { mixtureEvaluation, multiTaskHeads, taskLoopOptions } from "./multi-task-eval.js";
import { checkTaskData, isTaskMixture, type TaskMixture } from "./task-mixture.js";
import { checkTrainerData } from "./trainer-data.js";
import { type EvalLoopOptions, evaluationLoop, type PredictResult, predictionLoop } from "./trainer-eval.js";
import { resolveMetrics } from "./trainer-metrics.js";
import { inferTask, type TrainerData, type TrainerTask } from "./trainer-model.js";
import { invalidOption, type TrainerOptions } from "./trainer-options.js";

/**
 * Options of `Trainer.evaluate`: the metric names (or the array alone), and for a
 * multi-task model the task whose head scores the data.
 *
 * @example
 * ```ts
 * await trainer.evaluate(rteDev, { task: "rte", metrics: ["accuracy"] });
 * ```
 */
export type EvaluateOptions =
  | readonly string[]
  | { readonly metrics?: readonly string[] | undefined; readonly task?: string | undefined };

/**
 * Evaluation and prediction settings of a model trained with `o`, for `task`.
 *
 * @example
 * ```ts
 * const loop = loopOptions(trainer.options, "classification");
 * ```
 */
export function loopOptions(o: TrainerOptions, task: TrainerTask): EvalLoopOptions {
  return {
    task,
    numLabels: o.model.numLabels ?? 1,
    batchSize: o.evalBatchSize ?? o.batchSize,
    padding: o.padding ?? "longest",
    bucketing: o.bucketing ?? false,
    labelNames: o.model.labels,
  };
}

/** The head of task `name` of a multi-task model (required when the model has tasks). */
function taskHead(
  o: TrainerOptions,
  name: string | undefined,
): { spec: ResolvedTaskHead; loop: EvalLoopOptions } | undefined {
  const tasks = o.model.tasks;
  if (tasks === undefined) {
    if (name !== undefined) {
      invalidOption("task", name, "no task: the model has one head (task applies to multi-task models)");
    }
    return undefined;
  }
  const index = tasks.findIndex((t) => t.name === name);
  if (index < 0)
    invalidOption("task", name, `one of the model's tasks: ${tasks.map((t) => t.name).join(", ")}`);
  return { spec: tasks[index]!, loop: taskLoopOptions(tasks, index, loopOptions(o, "classification")) };
}

/**
 * `Trainer.evaluate` on a runner: one data set (through task `task`'s head for a
 * multi-task model, with the confusion matrix for classification), or every task of a
 * mixture with the `macro` score.
 *
 * @example
 * ```ts
 * const { loss, metrics } = await evaluateModel(runner, options, validation, {});
 * ```
 */
export async function evaluateModel(
  runner: TrainStepRunner,
  o: TrainerOptions,
  data: TrainerData | TaskMixture,
  options: EvaluateOptions,
): Promise<{
  loss: number;
  metrics: Record<string, number>;
  numExamples: number;
  confusion?: number[][];
}> {
  const { metrics, task: name } = Array.isArray(options)
    ? { metrics: options as readonly string[], task: undefined }
    : (options as Exclude<EvaluateOptions, readonly string[]>);
  if (isTaskMixture(data)) {
    return mixtureEvaluation(runner, data, multiTaskHeads(o.model), loopOptions(o, "classification"));
  }
  checkTrainerData(data, "evaluate");
  const head = taskHead(o, name);
  if (head) checkTaskData(head.spec, data, "evaluate");
  const task = head ? head.loop.task : inferTask(o.model, data);
  const names = resolveMetrics(task, metrics ?? o.metrics);
  return evaluationLoop(runner, data, names, head?.loop ?? loopOptions(o, task));
}

/**
 * `Trainer.predict` on a runner (through task `task`'s head for a multi-task model).
 *
 * @example
 * ```ts
 * const { predictions } = await predictModel(runner, options, test, {});
 * ```
 */
export async function predictModel(
  runner: TrainStepRunner,
  o: TrainerOptions,
  data: TrainerData,
  options: { readonly task?: string | undefined },
): Promise<PredictResult> {
  checkTrainerData(data, "predict");
  const head = taskHead(o, options.task);
  if (head) return predictionLoop(runner, data, head.loop, head.spec.labels);
  const task: TrainerTask =
    data.tokenLabels !== undefined
      ? "token-classification"
      : data.task === "regression" || o.model.numLabels === 1
        ? "regression"
        : "classification";
  return predictionLoop(runner, data, loopOptions(o, task), o.model.labels);
}
