export type {
  CausalLmExample,
  CausalLmExampleLimits,
  CausalLmFormat,
  ChatMessage,
} from "./causal-lm-examples.js";
export { CAUSAL_LM_FORMATS, detectCausalLmFormat, parseCausalLmExample } from "./causal-lm-examples.js";
export type { CausalLmJsonl, CausalLmJsonlOptions } from "./causal-lm-jsonl.js";
export { loadCausalLmJsonl, parseCausalLmJsonl } from "./causal-lm-jsonl.js";
export type { CausalLmData, CausalLmTokenizeOptions } from "./causal-lm-tokenize.js";
export { alpacaPrompt, causalLmRows, tokenizeCausalLm } from "./causal-lm-tokenize.js";
export type { RenderedChat } from "./chat-template.js";
export { ChatTemplate } from "./chat-template.js";
export type { PackedCausalLmData } from "./causal-lm-packing.js";
export { packCausalLm, packedAttentionFeeds } from "./causal-lm-packing.js";
