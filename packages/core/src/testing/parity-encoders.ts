import { Graph, type Tensor } from "../ir/graph.js";
import { mean, mul, sub } from "../ir/ops.js";
import { readBertConfig } from "../io/bert-config.js";
import { isJsonObject } from "../io/json-checks.js";
import { readModelWeights } from "../io/model-weights.js";
import { BertForSequenceClassification } from "../models/bert/bert-heads.js";
import { BertModel } from "../models/bert/bert-model.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { loadBertWeights } from "../models/bert/load-weights.js";
import { meanPooling } from "../models/bert/mean-pooling.js";
import type { Module } from "../modules/module.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { ParityModelFamily } from "./parity-models.js";

/** A bare BertModel without pooler, loaded from the folder: the sentence-embedding encoder. */
async function loadEmbeddingModel(folder: string): Promise<Module> {
  const config = await readBertConfig(folder);
  const model = new BertModel(config, { addPoolingLayer: false });
  loadBertWeights(model, (await readModelWeights(folder)).tensors);
  return model;
}

function traceEncoder(
  model: Module,
  feeds: Readonly<Record<string, HostTensor>>,
): { graph: Graph; logits: Tensor; loss: Tensor } {
  const g = new Graph();
  const [b, s] = feeds.input_ids!.shape as [number, number];
  const ids = (name: string): Tensor | undefined =>
    feeds[name] === undefined ? undefined : g.input(name, "int32", [b, s]);
  const inputs = {
    inputIds: ids("input_ids")!,
    attentionMask: ids("attention_mask")!,
    tokenTypeIds: ids("token_type_ids"),
  };
  const ctx = { training: false };
  let logits: Tensor;
  let loss: Tensor;
  if (model instanceof BertForSequenceClassification) {
    const out = model.forward({ ...inputs, labels: g.input("labels", "int32", [b]) }, ctx);
    logits = out.logits;
    loss = out.loss!;
  } else {
    const labels = feeds.labels!;
    const target = g.input("labels", "float32", labels.shape);
    logits = meanPooling((model as BertModel).forward(inputs, ctx).lastHiddenState, inputs.attentionMask);
    const d = sub(logits, target);
    loss = mean(mul(d, d));
  }
  g.output("logits", logits);
  g.output("loss", loss);
  return { graph: g, logits, loss };
}

/**
 * The parity family of a BERT-architecture fixture, from its parsed `config.json`: BERT,
 * RoBERTa, XLM-RoBERTa, ELECTRA or DistilBERT sequence classifiers (DistilBERT fixtures have
 * no `token_type_ids`), and, when `architectures` is `["BertModel"]`, a sentence-embedding
 * fixture: the encoder without pooler, its "logits" the {@link meanPooling} of the last hidden
 * state `[B, H]` and its loss the mean squared error to float `labels` `[B, H]`. `base`
 * supplies the fields shared with the BERT family.
 *
 * @example
 * ```ts
 * const family = encoderParityFamily(JSON.parse(configText), bertFamily);
 * family.inputs; // ["input_ids", "attention_mask", "labels"] for DistilBERT
 * ```
 */
export function encoderParityFamily(json: unknown, base: ParityModelFamily): ParityModelFamily {
  const cfg = isJsonObject(json) ? json : {};
  const archs = Array.isArray(cfg.architectures) ? cfg.architectures : [];
  const embedding = archs.length === 1 && archs[0] === "BertModel";
  const inputs =
    cfg.model_type === "distilbert"
      ? ["input_ids", "attention_mask", "labels"]
      : ["input_ids", "attention_mask", "token_type_ids", "labels"];
  return {
    ...base,
    inputs,
    load: embedding
      ? loadEmbeddingModel
      : async (folder) => (await loadBertCheckpoint(folder, { task: "sequence-classification" })).model,
    trace: traceEncoder,
  };
}
