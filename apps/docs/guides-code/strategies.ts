// One snippet per strategy page; each returns the adapted model, ready for the Trainer.
import type { BertForSequenceClassification, Tokenizer } from "@tunekit/core";
import {
  bitfit,
  formatStrategyReport,
  fullFineTuning,
  headOnly,
  houlsbyAdapter,
  hyperformerPlusPlus,
  ia3,
  lora,
  parallelAdapter,
  pfeifferAdapter,
  prefixTuning,
  promptTuning,
  strategyReport,
} from "@tunekit/strategies";

type Bert = BertForSequenceClassification;

// #region full
export const full = (model: Bert): Bert => fullFineTuning().apply(model); // every parameter trains
// #endregion full

// #region head
export const head = (model: Bert): Bert => headOnly().apply(model); // only `classifier.*` trains
// #endregion head

// #region lora
export const withLora = (model: Bert): Bert =>
  lora({ r: 8, alpha: 16, dropout: 0.1, targetModules: ["query", "value"] }).apply(model);
export const withRslora = (model: Bert): Bert => lora({ r: 8, alpha: 16, useRslora: true }).apply(model);
export const withDora = (model: Bert): Bert => lora({ r: 8, alpha: 16, useDora: true }).apply(model);
// #endregion lora

// #region adapters
export const houlsby = (model: Bert): Bert =>
  houlsbyAdapter({ name: "sst2", reductionFactor: 16 }).apply(model);
export const pfeiffer = (model: Bert): Bert => pfeifferAdapter({ name: "sst2" }).apply(model);
export const parallel = (model: Bert): Bert => parallelAdapter({ name: "sst2" }).apply(model);
// #endregion adapters

// #region ia3
export const withIa3 = (model: Bert): Bert =>
  ia3({ targetModules: ["key", "value", "output.dense"], feedforwardModules: ["output.dense"] }).apply(model);
// #endregion ia3

// #region bitfit
export const withBitfit = (model: Bert): Bert => bitfit().apply(model); // every bias + the head
// #endregion bitfit

// #region prefix
export const withPrefix = (model: Bert): Bert => prefixTuning({ numVirtualTokens: 8 }).apply(model);
// #endregion prefix

// #region prompt
export const withPrompt = (model: Bert, tokenizer: Tokenizer): Bert =>
  promptTuning({ numVirtualTokens: 8, init: { text: "the sentiment of this review is", tokenizer } }).apply(
    model,
  );
// #endregion prompt

// #region hyperformer
// Every batch carries task_ids: int32 [B], each row's index into `tasks` (rows may mix tasks).
export const withHyperFormer = (model: Bert): Bert =>
  hyperformerPlusPlus({ tasks: ["sst2", "mrpc", "rte", "stsb"] }).apply(model);
// #endregion hyperformer

// #region report
export function compare(model: Bert): string {
  return formatStrategyReport(
    strategyReport(model, [lora({ r: 8 }), ia3(), bitfit(), headOnly(), fullFineTuning()]),
  );
}
// #endregion report
