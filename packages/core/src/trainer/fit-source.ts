import type { PaddingStrategy } from "../data/padding.js";
import type { TrainStepRunner } from "../train/train-step-runner.js";
import { mixtureEvaluation, multiTaskHeads, resolveMixtureTargets } from "./multi-task-eval.js";
import { isTaskMixture, MixtureSource, type TaskMixture } from "./task-mixture.js";
import { type TrainerBatch, trainerBatch } from "./trainer-data.js";
import { type EvalLoopOptions, evaluationLoop } from "./trainer-eval.js";
import { resolveFitTargets } from "./trainer-metrics.js";
import type { TrainerData, TrainerTask } from "./trainer-model.js";
import type { TrainerOptions } from "./trainer-options.js";

/**
 * What `Trainer.fit` trains on, whatever the model: one data set or a task mixture. It says
 * what to report and select on, plans nothing itself (see `planFit`), collates training
 * batches and evaluates; the training loop runs the same code for both.
 *
 * @example
 * ```ts
 * const source = resolveFitSource(options, train, { evalData: validation });
 * const batch = source.collate(rows, "longest");
 * ```
 */
export interface FitSource {
  readonly task: TrainerTask | "multi-task";
  /** What `planFit` plans batches over. */
  readonly planData: TrainerData | MixtureSource;
  readonly metricNames: readonly string[];
  readonly bestMetric: string;
  readonly esMetric: string;
  /** Whether there is anything to evaluate on. */
  readonly hasEval: boolean;
  /** Training feeds of the rows at `indices`. */
  collate(indices: Int32Array, padding: PaddingStrategy): TrainerBatch;
  /** Loss and metrics on the evaluation data. */
  evaluate(
    runner: TrainStepRunner,
    base: EvalLoopOptions,
  ): Promise<{
    loss: number;
    metrics: Record<string, number>;
    numExamples: number;
    confusion?: number[][];
  }>;
}

/**
 * Checks `train` (and `evalData`) against the options and the model, before any work, and
 * returns the {@link FitSource} of a data set or of a {@link TaskMixture} (whose tasks carry
 * their own evaluation rows).
 *
 * @example
 * ```ts
 * const source = resolveFitSource(options, mixture, {});
 * source.bestMetric; // "macro"
 * ```
 */
export function resolveFitSource(
  o: TrainerOptions,
  train: TrainerData | TaskMixture,
  fit: { readonly evalData?: TrainerData | undefined },
): FitSource {
  if (isTaskMixture(train)) {
    const heads = multiTaskHeads(o.model);
    const source = new MixtureSource(train, heads);
    const t = resolveMixtureTargets(o, train, heads);
    return {
      task: "multi-task",
      planData: source,
      ...t,
      collate: (indices, padding) => source.collate(indices, padding, true),
      evaluate: (runner, base) => mixtureEvaluation(runner, train, heads, base),
    };
  }
  const t = resolveFitTargets(o, train, fit.evalData);
  return {
    task: t.task,
    planData: train,
    metricNames: t.metricNames,
    bestMetric: t.bestMetric,
    esMetric: t.esMetric,
    hasEval: t.evalData !== undefined,
    collate: (indices, padding) => trainerBatch(train, indices, padding, true),
    evaluate: (runner, base) => evaluationLoop(runner, t.evalData!, t.metricNames, base),
  };
}
