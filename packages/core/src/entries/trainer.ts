/**
 * `@tunekit/core/trainer`: training: the Trainer, training steps, optimizers, metrics and training checkpoints.
 *
 * The `Trainer` with its options, callbacks, evaluation and multi-task mixtures; the compiled training
 * step underneath it (`buildTrainStep`, `TrainStepRunner`); optimizers and learning-rate schedules
 * (`adamw`, `sgd`, `cosineWarmupSchedule`, gradient clipping); metrics and classification reports;
 * training checkpoints for resuming (`saveTrainingCheckpoint`, `listCheckpoints`); and the
 * `Strategy` contract that parameter-efficient methods implement.
 *
 * @example
 * ```ts
 * import { accuracy, cosineWarmupSchedule, listCheckpoints } from "@tunekit/core/trainer";
 *
 * accuracy([1, 0, 1], [1, 1, 1]); // 2/3
 * ```
 *
 * @packageDocumentation
 */

export type {
  MetricTrackerState,
  TrainerStateJson,
  TrainingCheckpoint,
  TrainingCheckpointContents,
} from "../checkpoint/index.js";
export {
  CHECKPOINT_FILES,
  checkpointName,
  configDifferences,
  configHash,
  latestCheckpoint,
  listCheckpoints,
  loadTrainingCheckpoint,
  modelConfigJson,
  parseTrainerState,
  pruneCheckpoints,
  saveTrainingCheckpoint,
  stableStringify,
  TRAINER_STATE_FORMAT,
} from "../checkpoint/index.js";
export type {
  ClassificationReport,
  ClassReportRow,
  ClassScores,
  ConfusionSvgOptions,
} from "../metrics/index.js";
export {
  accuracy,
  averageRanks,
  classificationReport,
  confusionMatrix,
  confusionMatrixSvg,
  macroF1,
  matthewsCorrelation,
  pearson,
  perClassScores,
  reportFromConfusion,
  spearman,
} from "../metrics/index.js";
export type {
  AdamWOptions,
  DecayFilterOption,
  HostKernelArgs,
  HostKernelCall,
  HostOptimizerUpdateArgs,
  LrSchedule,
  Optimizer,
  OptimizerConfig,
  OptimizerUpdateArgs,
  OptimizerUpdateResult,
  ScheduleConfig,
  SgdOptions,
} from "../optim/index.js";
export {
  adamw,
  clipGradNorm,
  constantSchedule,
  cosineWarmupSchedule,
  hfDecayFilter,
  linearWarmupSchedule,
  optimizerFromConfig,
  resolveDecayFilter,
  scheduleFromConfig,
  sgd,
} from "../optim/index.js";
export type { Strategy, StrategyOptions } from "../strategy/index.js";
export type {
  ForwardFn,
  ForwardOutputs,
  InputSpec,
  TrainableParameterLike,
  TrainStep,
  TrainStepOptions,
  TrainStepResult,
  TrainStepRunnerOptions,
  TrainStepState,
} from "../train/index.js";
export {
  accumulatorInputName,
  buildEvalStep,
  buildTrainStep,
  GRAD_NORM_OUTPUT,
  GRAD_SQUARES_OUTPUT,
  gradOutputName,
  LOSS_OUTPUT,
  LR_INPUT,
  newValueName,
  SEED_INPUT,
  sparseGradOutputNames,
  stateInputName,
  STEP_INPUT,
  TrainStepRunner,
} from "../train/index.js";
export type {
  CallbackSignal,
  CheckpointInfo,
  CheckpointOptions,
  CheckpointWriteInfo,
  EarlyStoppingOptions,
  EntitySpan,
  EpochInfo,
  EvalLoopOptions,
  EvaluateOptions,
  EvaluationOptions,
  EvaluationResult,
  FitOptions,
  FitResult,
  FitSource,
  MixtureTask,
  ModelBatchOutput,
  MultiTaskHeads,
  PredictResult,
  StepInfo,
  StopReason,
  TaskMixture,
  TrainerBatch,
  TrainerCallbacks,
  TrainerData,
  TrainerHook,
  TrainerModel,
  TrainerOptions,
  TrainerProgress,
  TrainerSchedule,
  TrainerTask,
} from "../trainer/index.js";
export {
  assignWeights,
  balancedClassWeights,
  BATCH_INPUTS,
  checkTaskData,
  classCounts,
  computeMetrics,
  defaultMetricMode,
  entityScores,
  entitySpans,
  evaluateModel,
  formatProgress,
  inferTask,
  isTaskMixture,
  loopOptions,
  MACRO_METRIC,
  MetricTracker,
  mixtureEvaluation,
  mixtureMetricNames,
  mixtureScoreMetrics,
  MixtureSource,
  multiTaskHeads,
  predictModel,
  ProgressMeter,
  resolveFitSource,
  resolveMixtureTargets,
  SCHEDULE_NAMES,
  TASK_METRICS,
  taskBatch,
  taskLoopOptions,
  Trainer,
  trainerBatch,
  trainerForward,
  validateTrainerOptions,
  weightedCrossEntropy,
} from "../trainer/index.js";
