export { causalLmLoss, causalLmLossFromHidden } from "./causal-lm-loss.js";
export {
  applyRotary,
  applyRotaryTables,
  causalMaskBias,
  groupedQueryAttention,
  rmsNorm,
  rotaryAtPositions,
  rotaryTables,
  silu,
} from "./decoder-ops.js";
export type { KvCacheLayer } from "./kv-cache.js";
export { StaticKvCache } from "./kv-cache.js";
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
export type { DecoderStep } from "./llama-layers.js";
export { LlamaAttention, LlamaDecoderLayer, LlamaMLP, LlamaRMSNorm } from "./llama-layers.js";
export type { GenerationForwardInputs, GenerationSpec, LlamaInputs } from "./llama-model.js";
export { LlamaForCausalLM, LlamaModel } from "./llama-model.js";
export { checkLlamaSize, llamaParameterCount, MAX_LLAMA_PARAMETERS } from "./llama-parameter-count.js";
export {
  DecoderPromptEncoder,
  decoderPromptEncoderOf,
  extendedLabels,
  extendedMask,
  prefixColumns,
  prefixMaskBias,
} from "./decoder-prompt.js";
