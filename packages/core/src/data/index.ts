export { balancedEpochRows } from "./balanced-sampling.js";
export type { Batch, BatchPlanOptions, TokenizedDataset } from "./batching.js";
export { collateRows, iterateBatches, planBatches, tokenizeDataset } from "./batching.js";
export type { ConllLimits, ConllSentence } from "./conll.js";
export { parseConll } from "./conll.js";
export type { BadRow, BadRowReason } from "./dataset-rows.js";
export type { Dataset, DatasetSplits, LoadReport } from "./dataset.js";
export { loadDataset, subsetDataset } from "./dataset.js";
export type { ColumnRef, DatasetConfig, DatasetFormat, SplitSource, TextColumns } from "./dataset-config.js";
export { parseDatasetConfig, SPLIT_NAMES } from "./dataset-config.js";
export { formatHint, sniffFormat } from "./format-hints.js";
export type { JsonDocumentRecord } from "./json-document.js";
export { parseJsonDocument } from "./json-document.js";
export type { EncodedRow, PaddedBatch, PaddingStrategy } from "./padding.js";
export { effectiveBuckets, padBatch, paddedLength } from "./padding.js";
export type { MlmBatch, MlmMaskingOptions } from "./mlm-masking.js";
export { maskTokensForMlm } from "./mlm-masking.js";
export type { Rng } from "./random.js";
export { mixSeeds, mulberry32, permutation, randomInt, shuffleInPlace } from "./random.js";
export type { SpecialTemplate } from "./special-template.js";
export { templateFromPostProcessor } from "./special-template.js";
export type { HoldoutIndices } from "./split.js";
export { holdoutIndices } from "./split.js";
export type { ParsedTable, ReadLimits, TableRecord } from "./table-reader.js";
export {
  parseDelimited,
  parseJsonLines,
  parseLabelPrefixed,
  splitLines,
} from "./table-reader.js";
export type { EncodeBatchOptions, EncodedBatch, EncodeOptions, Encoding, TextInput } from "./tokenizer.js";
export { loadTokenizer, Tokenizer, tokenizerFromJson } from "./tokenizer.js";
export { checkTokenizerRegexes, regexBacktrackingRisk, TOKENIZER_REGEX_MAX_LENGTH } from "./regex-safety.js";
export type { TruncatedLengths, TruncationStrategy } from "./truncation.js";
export { truncateLengths } from "./truncation.js";
export type { TextEncoding } from "./text-decoding.js";
export { decodeText, readTextFile } from "./text-decoding.js";
export type {
  MixtureBatching,
  MixtureEpochOptions,
  TaskSamplingOptions,
  TaskSamplingStrategy,
} from "./task-sampling.js";
export { mixtureEpochBatches, TASK_SAMPLING_STRATEGIES, taskSamplingProbabilities } from "./task-sampling.js";
export type { TokenizerSources } from "./tokenizer-sources.js";
export { readTokenizerSources } from "./tokenizer-sources.js";
export { MAX_VOCAB_TXT_BYTES, tokenizerJsonFromVocab } from "./wordpiece-vocab.js";
export { assertIdsInVocabulary } from "./vocabulary-check.js";
export type { ByteLevelBpeOptions, TrainedByteLevelBpe } from "./bpe-trainer.js";
export { trainByteLevelBpe } from "./bpe-trainer.js";
export type {
  CausalLmData,
  CausalLmExample,
  CausalLmExampleLimits,
  CausalLmFormat,
  CausalLmJsonl,
  CausalLmJsonlOptions,
  CausalLmTokenizeOptions,
  ChatMessage,
  PackedCausalLmData,
  RenderedChat,
} from "./causal-lm/index.js";
export {
  alpacaPrompt,
  causalLmRows,
  CAUSAL_LM_FORMATS,
  ChatTemplate,
  detectCausalLmFormat,
  loadCausalLmJsonl,
  packCausalLm,
  packedAttentionFeeds,
  parseCausalLmExample,
  parseCausalLmJsonl,
  tokenizeCausalLm,
} from "./causal-lm/index.js";
