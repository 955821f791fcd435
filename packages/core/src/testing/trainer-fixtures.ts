import type { TokenizedDataset } from "../data/batching.js";
import { mulberry32 } from "../data/random.js";
import { parseBertConfig } from "../io/bert-config.js";
import { BertForSequenceClassification, BertForTokenClassification } from "../models/bert/bert-heads.js";
import type { TrainerData } from "../trainer/trainer-model.js";

/**
 * A tiny BERT config for Trainer tests (1 layer, hidden 16, vocab 20).
 *
 * @example
 * ```ts
 * const model = new BertForSequenceClassification(tinyTrainerConfig(2), { seed: 1 });
 * ```
 */
export function tinyTrainerConfig(numLabels: number, layers = 1) {
  return parseBertConfig({
    model_type: "bert",
    vocab_size: 20,
    hidden_size: 16,
    num_hidden_layers: layers,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 16,
    type_vocab_size: 2,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    id2label: Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `L${i}`])),
  });
}

/**
 * A toy data set: rows `[CLS] w… [SEP]` of 3 to 8 tokens (ids 3..19); the class is 1 when
 * the row holds token 7 (regression: the count of tokens 7, token labels: 1 on each 7).
 *
 * @example
 * ```ts
 * const data = toyData(32, 1, "classification");
 * ```
 */
export function toyData(
  n: number,
  seed: number,
  task: "classification" | "regression" | "tokens",
): TrainerData {
  const rng = mulberry32(seed);
  const ids: Int32Array[] = [];
  const labels = task === "regression" ? new Float32Array(n) : new Int32Array(n);
  const tokenLabels: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rng() * 6);
    const row = new Int32Array(len);
    row[0] = 1;
    row[len - 1] = 2;
    const tl = new Int32Array(len).fill(-100);
    let sevens = 0;
    for (let t = 1; t < len - 1; t++) {
      row[t] = rng() < 0.3 ? 7 : 3 + Math.floor(rng() * 17);
      if (row[t] === 7) sevens++;
      tl[t] = row[t] === 7 ? 1 : 0;
    }
    ids.push(row);
    tokenLabels.push(tl);
    labels[i] = task === "regression" ? sevens : sevens > 0 ? 1 : 0;
  }
  const data: TokenizedDataset = {
    task: task === "regression" ? "regression" : "classification",
    ids,
    tokenTypeIds: ids.map((r) => new Int32Array(r.length)),
    lengths: Int32Array.from(ids, (r) => r.length),
    labels: task === "tokens" ? undefined : labels,
    padId: 0,
    maxLength: 16,
    numTruncated: 0,
  };
  return task === "tokens" ? { ...data, tokenLabels } : data;
}

/**
 * A fresh tiny model for `task`, initialised from `seed`.
 *
 * @example
 * ```ts
 * const model = toyModel("classification", 3);
 * ```
 */
export function toyModel(task: "classification" | "regression" | "tokens", seed: number, layers = 1) {
  if (task === "tokens") return new BertForTokenClassification(tinyTrainerConfig(2, layers), { seed });
  return new BertForSequenceClassification(tinyTrainerConfig(task === "regression" ? 1 : 2, layers), {
    seed,
    numLabels: task === "regression" ? 1 : 2,
  });
}
