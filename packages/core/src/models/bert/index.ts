export { BertEmbeddings } from "./bert-embeddings.js";
export type { BertHeadOptions, BertHeadOutput, BertProblemType } from "./bert-heads.js";
export {
  BertClassifierBase,
  BertForSequenceClassification,
  BertForTokenClassification,
  EncoderClassificationHead,
} from "./bert-heads.js";
export { robertaPositionIds } from "./bert-embeddings.js";
export {
  DistilBertAttention,
  DistilBertBlock,
  DistilBertFfn,
  DistilBertTransformer,
} from "./distilbert-layer.js";
export { meanPooling } from "./mean-pooling.js";
export type { SentenceEmbeddingOptions } from "./sentence-embeddings.js";
export { sentenceEmbeddings } from "./sentence-embeddings.js";
export type { BertMaskedLmInputs } from "./bert-mlm.js";
export {
  BertForMaskedLM,
  BertLmPredictionHead,
  BertOnlyMlmHead,
  BertPredictionHeadTransform,
  BertWithTiedDecoder,
  maskedLmForward,
} from "./bert-mlm.js";
export type { BertPreTrainingInputs, BertPreTrainingOutput } from "./bert-pretraining.js";
export { BertForPreTraining, BertPreTrainingHeads, preTrainingForward } from "./bert-pretraining.js";
export type { AttentionPrefix } from "./bert-layer.js";
export {
  applyActivation,
  BertAttention,
  BertIntermediate,
  BertLayer,
  BertResidualOutput,
  BertSelfAttention,
} from "./bert-layer.js";
export type { BertInputs, BertModelOptions } from "./bert-model.js";
export { attentionMaskBias, BertEncoder, BertModel, BertPooler, FLOAT32_MIN } from "./bert-model.js";
export type {
  BertModelForTask,
  BertTask,
  LoadBertCheckpointOptions,
  LoadedBert,
  SaveBertCheckpointOptions,
} from "./checkpoint.js";
export { createBertForTask, loadBertCheckpoint, saveBertCheckpoint } from "./checkpoint.js";
export type { BertCheckpointReport, LoadBertWeightsOptions } from "./load-weights.js";
export { loadBertWeights } from "./load-weights.js";
export type { AnyBertModel, BertTrace, BertTraceShapes } from "./trace-forward.js";
export { traceForward } from "./trace-forward.js";
export { resizeVocabularyTensors, WORD_EMBEDDING_NAMES, wordEmbeddingRows } from "./vocabulary.js";
