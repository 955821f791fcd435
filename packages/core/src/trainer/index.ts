export { assignWeights } from "./assign-weights.js";
export { balancedClassWeights, classCounts, weightedCrossEntropy } from "./class-weights.js";
export { MetricTracker } from "./early-stopping.js";
export type { EntitySpan } from "./entity-metrics.js";
export { entityScores, entitySpans } from "./entity-metrics.js";
export type { FitSource } from "./fit-source.js";
export { resolveFitSource } from "./fit-source.js";
export {
  MACRO_METRIC,
  mixtureEvaluation,
  mixtureMetricNames,
  mixtureScoreMetrics,
  multiTaskHeads,
  resolveMixtureTargets,
  taskLoopOptions,
} from "./multi-task-eval.js";
export type { MixtureTask, MultiTaskHeads, TaskMixture } from "./task-mixture.js";
export { checkTaskData, isTaskMixture, MixtureSource, taskBatch } from "./task-mixture.js";
export type { FitOptions, FitResult } from "./trainer.js";
export { Trainer } from "./trainer.js";
export type {
  CallbackSignal,
  CheckpointInfo,
  CheckpointWriteInfo,
  EpochInfo,
  EvaluationResult,
  StepInfo,
  StopReason,
  TrainerCallbacks,
  TrainerHook,
} from "./trainer-callbacks.js";
export type { TrainerBatch } from "./trainer-data.js";
export { trainerBatch } from "./trainer-data.js";
export type { EvalLoopOptions, PredictResult } from "./trainer-eval.js";
export { computeMetrics, defaultMetricMode, TASK_METRICS } from "./trainer-metrics.js";
export type { EvaluateOptions } from "./trainer-inference.js";
export { evaluateModel, loopOptions, predictModel } from "./trainer-inference.js";
export type { ModelBatchOutput, TrainerData, TrainerModel, TrainerTask } from "./trainer-model.js";
export { BATCH_INPUTS, inferTask, trainerForward } from "./trainer-model.js";
export type {
  CheckpointOptions,
  EarlyStoppingOptions,
  EvaluationOptions,
  TrainerOptions,
  TrainerSchedule,
} from "./trainer-options.js";
export { SCHEDULE_NAMES, validateTrainerOptions } from "./trainer-options.js";
export type { TrainerProgress } from "./trainer-progress.js";
export { formatProgress, ProgressMeter } from "./trainer-progress.js";
