/**
 * `@tunekit/core`: the everyday names of tunekit's core.
 *
 * Load a model (`loadBertCheckpoint`, `loadCausalLmCheckpoint`, `resolveModel`), a tokenizer and a
 * data set, train it with the `Trainer` on a `Backend`, generate text, and handle `TunekitError`s.
 * Everything else is in a subpath entry, grouped by area:
 *
 * - `@tunekit/core/ir`: graph IR, ops, host tensors, the `Backend` contract and reference backend
 * - `@tunekit/core/autodiff`: gradients and vector-Jacobian product rules
 * - `@tunekit/core/models`: modules, BERT / encoder / Llama / GPT-2 models, generation
 * - `@tunekit/core/data`: data sets, tokenizers, batching, causal-LM data
 * - `@tunekit/core/trainer`: Trainer internals, training steps, optimizers, metrics, training checkpoints
 * - `@tunekit/core/io`: safetensors, PyTorch checkpoints, file helpers, the Hugging Face Hub
 * - `@tunekit/core/testing`: conformance, parity and property-test harnesses
 *
 * Each name here except the error class and codes is also exported by the subpath of its area.
 *
 * @example
 * ```ts
 * import { loadBertCheckpoint, loadTokenizer, Trainer } from "@tunekit/core";
 * import { matmul } from "@tunekit/core/ir";
 * ```
 *
 * @packageDocumentation
 */

export type { TunekitErrorCode } from "./errors.js";
export { isTunekitError, TunekitError } from "./errors.js";
export { Tensor } from "./ir/index.js";
export type { DType, HostTensor } from "./tensor/host-tensor.js";
export { hostTensor, sizeOf } from "./tensor/host-tensor.js";
export type { Backend } from "./backend/index.js";
export { createReferenceBackend } from "./backend/index.js";
export { readSafetensorsFile, writeSafetensorsFile } from "./io/index.js";
export type { Dataset, DatasetSplits, TokenizedDataset } from "./data/index.js";
export {
  loadCausalLmJsonl,
  loadDataset,
  loadTokenizer,
  tokenizeCausalLm,
  tokenizeDataset,
  Tokenizer,
} from "./data/index.js";
export type { ForwardContext } from "./modules/index.js";
export {
  Dropout,
  Embedding,
  formatParameterReport,
  freezeAll,
  LayerNorm,
  Linear,
  Module,
  Parameter,
  parameterReport,
  setTrainable,
} from "./modules/index.js";
export type { BertTask, CausalLm, LoadedBert, LoadedCausalLm } from "./models/index.js";
export {
  BertForSequenceClassification,
  BertForTokenClassification,
  createBertForTask,
  loadBertCheckpoint,
  loadCausalLmCheckpoint,
  saveBertCheckpoint,
  saveCausalLmCheckpoint,
} from "./models/index.js";
export type { GenerateOptions, GenerateResult } from "./generation/index.js";
export { generate } from "./generation/index.js";
export type { Optimizer } from "./optim/index.js";
export { adamw, cosineWarmupSchedule, linearWarmupSchedule, sgd } from "./optim/index.js";
export { TrainStepRunner } from "./train/index.js";
export type { Strategy, StrategyOptions } from "./strategy/index.js";
export type {
  EvaluationResult,
  FitOptions,
  FitResult,
  ModelBatchOutput,
  PredictResult,
  TrainerCallbacks,
  TrainerData,
  TrainerModel,
  TrainerOptions,
} from "./trainer/index.js";
export { Trainer, trainerForward } from "./trainer/index.js";
export { downloadModel, resolveModel } from "./hub/index.js";
