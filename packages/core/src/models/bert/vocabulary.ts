import { TunekitError } from "../../errors.js";
import type { Module } from "../../modules/module.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";

/**
 * Names of the word-embedding table in encoder checkpoints: under `bert.`, `roberta.`,
 * `electra.`, `distilbert.` (task models) or at the top (a bare `BertModel`).
 *
 * @example
 * ```ts
 * const name = WORD_EMBEDDING_NAMES.find((n) => tensors.has(n));
 * ```
 */
export const WORD_EMBEDDING_NAMES: readonly string[] = ["bert", "roberta", "electra", "distilbert", ""].map(
  (p) => `${p === "" ? "" : `${p}.`}embeddings.word_embeddings.weight`,
);

/**
 * Number of rows of a model's word-embedding table (`*.embeddings.word_embeddings.weight`),
 * i.e. how many token ids it can embed; `undefined` when it has none.
 *
 * @example
 * ```ts
 * wordEmbeddingRows(model); // 30522 for bert-base-uncased
 * ```
 */
export function wordEmbeddingRows(model: Module): number | undefined {
  for (const [name, p] of model.namedParameters()) {
    if (name === "embeddings.word_embeddings.weight" || name.endsWith(".embeddings.word_embeddings.weight")) {
      return p.value.shape[0];
    }
  }
  return undefined;
}

/**
 * Grows the vocabulary-sized tensors of a BERT checkpoint to `vocabSize` rows, as
 * `resize_token_embeddings` does before fine-tuning with added tokens: the word embeddings
 * (and a tied `cls.predictions.decoder.weight`) get new rows equal to the mean of the old rows,
 * the masked-LM output biases get zeros. Other tensors are shared, not copied. Shrinking is
 * refused (`CHECKPOINT_MISMATCH`), since it would drop trained rows.
 *
 * @example
 * ```ts
 * const { tensors } = await readModelWeights(dir);
 * const grown = resizeVocabularyTensors(tensors, tokenizer.vocabSize, dir); // then loadBertWeights(model, grown)
 * ```
 */
export function resizeVocabularyTensors(
  tensors: ReadonlyMap<string, HostTensor>,
  vocabSize: number,
  source: string,
): Map<string, HostTensor> {
  const embeddingName = WORD_EMBEDDING_NAMES.find((n) => tensors.has(n));
  if (embeddingName === undefined) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${source}: no bert.embeddings.word_embeddings.weight to resize; is it a BERT checkpoint?`,
    );
  }
  const rows = tensors.get(embeddingName)!.shape[0]!;
  if (!Number.isInteger(vocabSize) || vocabSize < rows) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${source}: cannot resize the embeddings from ${rows} to ${vocabSize} rows; only growing is supported`,
    );
  }
  const out = new Map(tensors);
  for (const [name, t] of tensors) {
    if (t.shape[0] !== rows || t.dtype !== "float32") continue;
    if (name === embeddingName || name === "cls.predictions.decoder.weight") {
      out.set(name, growWithMeanRows(t, vocabSize));
    } else if (name === "cls.predictions.bias" || name === "cls.predictions.decoder.bias") {
      const data = new Float32Array(vocabSize);
      data.set(t.data as Float32Array);
      out.set(name, hostTensor("float32", [vocabSize], data));
    }
  }
  return out;
}

function growWithMeanRows(t: HostTensor, vocabSize: number): HostTensor {
  const [rows, width] = [t.shape[0]!, t.shape[1] ?? 1];
  const src = t.data as Float32Array;
  const mean = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) mean[c] = mean[c]! + src[r * width + c]! / rows;
  }
  const data = new Float32Array(vocabSize * width);
  data.set(src);
  for (let r = rows; r < vocabSize; r++) for (let c = 0; c < width; c++) data[r * width + c] = mean[c]!;
  return hostTensor("float32", [vocabSize, ...t.shape.slice(1)], data);
}
