export type { Gpt2CheckpointReport, LoadedGpt2 } from "./gpt2-checkpoint.js";
export {
  gpt2TensorToHf,
  isGpt2Conv1DWeight,
  loadGpt2Checkpoint,
  loadGpt2Weights,
  saveGpt2Checkpoint,
} from "./gpt2-checkpoint.js";
export type { Gpt2Config } from "./gpt2-config.js";
export { gpt2ConfigToJson, isGpt2ConfigJson, parseGpt2Config, readGpt2Config } from "./gpt2-config.js";
export type { Gpt2Step } from "./gpt2-layers.js";
export { Conv1D, conv1dToHf, Gpt2Attention, Gpt2Block, Gpt2MLP } from "./gpt2-layers.js";
export { Gpt2LMHeadModel, Gpt2Model } from "./gpt2-model.js";
export { checkGpt2Size, gpt2ParameterCount } from "./gpt2-parameter-count.js";
