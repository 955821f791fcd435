export { causalLmLoss } from "./causal-lm-loss.js";
export {
  applyRotary,
  causalMaskBias,
  groupedQueryAttention,
  rmsNorm,
  rotaryTables,
  silu,
} from "./decoder-ops.js";
export type { LlamaCheckpointReport, LoadedLlama } from "./llama-checkpoint.js";
export {
  loadLlamaCheckpoint,
  loadLlamaWeights,
  saveLlamaCheckpoint,
} from "./llama-checkpoint.js";
export type { LlamaConfig, LlamaModelType } from "./llama-config.js";
export {
  isLlamaConfigJson,
  LLAMA_MODEL_TYPES,
  llamaConfigToJson,
  parseLlamaConfig,
  readLlamaConfig,
} from "./llama-config.js";
export { LlamaAttention, LlamaDecoderLayer, LlamaMLP, LlamaRMSNorm } from "./llama-layers.js";
export type { LlamaInputs } from "./llama-model.js";
export { LlamaForCausalLM, LlamaModel } from "./llama-model.js";
export { checkLlamaSize, llamaParameterCount, MAX_LLAMA_PARAMETERS } from "./llama-parameter-count.js";
