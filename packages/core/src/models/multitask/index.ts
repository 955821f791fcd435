export {
  isMultiTaskConfig,
  loadMultiTaskCheckpoint,
  saveMultiTaskCheckpoint,
} from "./multi-task-checkpoint.js";
export type { MultiTaskModelOptions } from "./multi-task-model.js";
export { MULTI_TASK_INPUTS, MULTI_TASK_OUTPUTS, MultiTaskModel } from "./multi-task-model.js";
export type { ResolvedTaskHead, TaskHeadKind, TaskHeadSpec } from "./task-head.js";
export { resolveTaskHead, TaskHead } from "./task-head.js";
