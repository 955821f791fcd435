import {
  type Backend,
  BertForSequenceClassification,
  type HostTensor,
  hostTensor,
  type Module,
} from "@tunekit/core";
import { normalTensor, parseBertConfig } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/** Test support (not exported): the `config.json` fields of the tiny BERT the tests build (2 layers, hidden 8, vocabulary 24). */
export const TINY_BERT_JSON = {
  model_type: "bert",
  vocab_size: 24,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 12,
  max_position_embeddings: 8,
} as const;

/** Test support (not exported): a tiny random BERT for sequence classification. */
export function tinyBert(seed = 0, numLabels = 3): BertForSequenceClassification {
  const config = parseBertConfig({
    ...TINY_BERT_JSON,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    num_labels: numLabels,
  });
  const model = new BertForSequenceClassification(config, { seed });
  const rng = mulberry32(seed + 100);
  // larger weights than BERT's 0.02 init and non-zero biases, so adapters visibly matter
  for (const p of model.parameters()) {
    if (p.name.includes("LayerNorm")) continue;
    p.value = normalTensor(p.value.shape, rng, p.name.endsWith(".bias") ? 0.1 : 0.3);
  }
  return model;
}

/** A probe batch `[b, s]` with right padding on odd rows and labels. */
export function probeBatch(b = 3, s = 6, seed = 1, numLabels = 3): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  const ids = new Int32Array(b * s);
  const mask = new Int32Array(b * s);
  const types = new Int32Array(b * s);
  for (let i = 0; i < b; i++) {
    const len = i % 2 === 1 ? s - 2 : s;
    for (let j = 0; j < s; j++) {
      ids[i * s + j] = j < len ? 1 + Math.floor(rng() * 23) : 0;
      mask[i * s + j] = j < len ? 1 : 0;
      types[i * s + j] = j >= s / 2 ? 1 : 0;
    }
  }
  const labels = Int32Array.from({ length: b }, (_, i) => i % numLabels);
  return {
    input_ids: hostTensor("int32", [b, s], ids),
    attention_mask: hostTensor("int32", [b, s], mask),
    token_type_ids: hostTensor("int32", [b, s], types),
    labels: hostTensor("int32", [b], labels),
  };
}

/** Sets every adapter parameter (paths matching `pattern`) to random normal values. */
export function randomizeParameters(model: Module, pattern: RegExp, seed = 7, std = 0.3): string[] {
  const rng = mulberry32(seed);
  const changed: string[] = [];
  for (const [path, p] of model.namedParameters()) {
    if (!pattern.test(path)) continue;
    const v = normalTensor(p.value.shape, rng, std);
    if (path.endsWith("ia3_l") || path.endsWith("lora_magnitude_vector")) {
      for (let i = 0; i < v.data.length; i++)
        v.data[i] = v.data[i]! + (path.endsWith("ia3_l") ? 1 : p.value.data[i]!);
    }
    p.value = v;
    changed.push(path);
  }
  return changed;
}

/** Max absolute difference of two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export type { Backend };
