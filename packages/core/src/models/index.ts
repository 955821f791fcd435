export * from "./bert/index.js";
export * from "./multitask/index.js";
export * from "./llama/index.js";
export * from "./gpt2/index.js";
export type { CausalLm, LoadedCausalLm } from "./causal-lm-checkpoint.js";
export {
  isCausalLmConfigJson,
  loadCausalLmCheckpoint,
  saveCausalLmCheckpoint,
} from "./causal-lm-checkpoint.js";
