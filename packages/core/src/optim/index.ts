export type { AdamWOptions } from "./adamw.js";
export { adamw } from "./adamw.js";
export { clipGradNorm } from "./clip-grad-norm.js";
export type { HostKernelCall } from "./host-kernels.js";
export type {
  DecayFilterOption,
  HostKernelArgs,
  HostOptimizerUpdateArgs,
  Optimizer,
  OptimizerConfig,
  OptimizerUpdateArgs,
  OptimizerUpdateResult,
} from "./optimizer.js";
export { hfDecayFilter, resolveDecayFilter } from "./optimizer.js";
export { optimizerFromConfig } from "./optimizer-from-config.js";
export type { LrSchedule, ScheduleConfig } from "./schedules.js";
export {
  constantSchedule,
  cosineWarmupSchedule,
  linearWarmupSchedule,
  scheduleFromConfig,
} from "./schedules.js";
export type { SgdOptions } from "./sgd.js";
export { sgd } from "./sgd.js";
