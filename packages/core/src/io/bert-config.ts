/**
 * Alias module: the BERT config types live in `hf-config.ts`; this path is what the BERT
 * model modules import. Prefer importing from `@tunekit/core`.
 */
export type { BertConfig, BertHiddenAct, ClassificationProblemType } from "./hf-config.js";
export { BERT_HIDDEN_ACTS, bertConfigToJson, parseBertConfig, readBertConfig } from "./hf-config.js";
