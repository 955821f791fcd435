export type { CliIo } from "./cli-io.js";
export { processIo, safeWriter } from "./cli-io.js";
export type { CliCommand, CommandContext } from "./command.js";
export { intFlag, stringFlag, UsageError } from "./command.js";
export { readConfigFile } from "./config/config-file.js";
export type { CausalLmDataSpec } from "./config/causal-lm-config.js";
export type { ClassWeightsSpec } from "./config/class-balance.js";
export type { MixtureSpec, TaskSpec } from "./config/tasks-config.js";
export type {
  BackendSpec,
  CliTask,
  DataSpec,
  ModelSpec,
  TrainConfig,
  TrainingSpec,
} from "./config/train-config.js";
export { CLI_TASKS, parseTrainConfig } from "./config/train-config.js";
export type { NumberBounds } from "./config/validate.js";
export { ConfigValidator } from "./config/validate.js";
export { formatTable, metricsTable } from "./format-table.js";
export { formatDuration, ProgressRenderer, progressBar, progressLine } from "./progress.js";
export { COMMANDS, commandHelp, EXIT, runCli } from "./run-cli.js";
export { MERGE_PROBE_SENTENCES } from "./commands/merge.js";
export type { AdaptedRun } from "./setup/adapted-run.js";
export { ADAPTER_FORMATS, loadAdaptedRun, MERGEABLE_METHODS } from "./setup/adapted-run.js";
export type { LoadedData } from "./setup/data-setup.js";
export { loadDataSpec, resolveTask } from "./setup/data-setup.js";
export type { BertHead, BuiltModel } from "./setup/model-setup.js";
export { buildModel, loadTrainedModel } from "./setup/model-setup.js";
export type { RunRecord } from "./setup/run-files.js";
export { loadTrainConfigFile, RUN_FILE } from "./setup/run-files.js";
export type { StrategyContext, StrategySpec } from "./strategy-config.js";
export { BUILTIN_METHODS, createStrategy, KNOWN_METHODS, STRATEGY_EXPORTS } from "./strategy-config.js";
export type { ConfigOverride } from "./command.js";
export { applyOverrides, parseSetFlags } from "./command.js";
export type { PredictionFormat } from "./predictions-file.js";
export { formatPredictions, PREDICTION_FORMATS, predictionRecords } from "./predictions-file.js";
export type { TokenData, TokenDataSpec, TokenSplit, TokenTrainerData } from "./setup/token-data.js";
export { loadTokenData, tokenizeWords } from "./setup/token-data.js";
export type { PreparedData, PreparedSplit, SplitName } from "./setup/training-data.js";
export { prepareData } from "./setup/training-data.js";
