export {
  checkpointName,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
} from "./checkpoint-rotation.js";
export { configDifferences, configHash, stableStringify } from "./config-hash.js";
export type { TrainingCheckpoint, TrainingCheckpointContents } from "./training-checkpoint.js";
export { loadTrainingCheckpoint, modelConfigJson, saveTrainingCheckpoint } from "./training-checkpoint.js";
export type { MetricTrackerState, TrainerStateJson } from "./trainer-state.js";
export { CHECKPOINT_FILES, parseTrainerState, TRAINER_STATE_FORMAT } from "./trainer-state.js";
