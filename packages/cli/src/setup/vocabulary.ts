import type { HostTensor, Tokenizer } from "@tunekit/core";
import {
  type BertConfig,
  resizeVocabularyTensors,
  WORD_EMBEDDING_NAMES,
  wordEmbeddingRows,
} from "@tunekit/core/models";
import { assertIdsInVocabulary } from "@tunekit/core/data";

/**
 * How a pre-trained model meets a tokenizer with more ids than its `vocab_size` — the one rule
 * of `train`, `evaluate` and `predict`: the model loads as it is, with a warning, and only a
 * text that produces such an id is an error ({@link checkTokenIds}); with
 * `model.resizeEmbeddings: true`, `train` grows the embeddings to the tokenizer's size (new rows:
 * the mean embedding) and saves the larger `vocab_size`.
 *
 * @example
 * ```ts
 * const plan = vocabularyPlan({ path: "bert", resizeEmbeddings: false }, base, tokenizer.vocabSize);
 * plan.notice; // "warning: the tokenizer has 405 ids but bert/config.json has vocab_size 402: ..."
 * ```
 */
export function vocabularyPlan(
  spec: { readonly path: string; readonly resizeEmbeddings?: boolean },
  base: BertConfig,
  tokenizerIds: number,
): { readonly vocabSize: number; readonly notice: string | undefined } {
  if (tokenizerIds <= base.vocabSize) return { vocabSize: base.vocabSize, notice: undefined };
  if (spec.resizeEmbeddings === true) {
    return {
      vocabSize: tokenizerIds,
      notice: `resized the word embeddings from ${base.vocabSize} to ${tokenizerIds} rows for the tokenizer's extra ids (new rows start as the mean embedding)`,
    };
  }
  return {
    vocabSize: base.vocabSize,
    notice:
      `warning: the tokenizer has ${tokenizerIds} ids but ${spec.path}/config.json has vocab_size ${base.vocabSize}: ` +
      `ids ${base.vocabSize}..${tokenizerIds - 1} have no embedding, and a text that produces one is an error ` +
      '(set "model": { "path": ..., "resizeEmbeddings": true } to add rows for them)',
  };
}

/**
 * The checkpoint's tensors, grown to `vocabSize` rows when {@link vocabularyPlan} resized.
 *
 * @example
 * ```ts
 * const tensors = fitTensorsToVocabulary((await readModelWeights(dir)).tensors, plan.vocabSize, dir);
 * ```
 */
export function fitTensorsToVocabulary(
  tensors: Map<string, HostTensor>,
  vocabSize: number,
  source: string,
): Map<string, HostTensor> {
  const name = WORD_EMBEDDING_NAMES.find((n) => tensors.has(n));
  const rows = name === undefined ? undefined : tensors.get(name);
  return rows !== undefined && rows.shape[0]! < vocabSize
    ? resizeVocabularyTensors(tensors, vocabSize, source)
    : tensors;
}

/**
 * Checks tokenized rows against the model's word-embedding rows: an id without one is
 * `DATA_INVALID` naming the token and the row (see `assertIdsInVocabulary` in core).
 *
 * @example
 * ```ts
 * checkTokenIds(model, data.ids, tokenizer, "validation split");
 * ```
 */
export function checkTokenIds(
  model: unknown,
  rows: readonly ArrayLike<number>[],
  tokenizer: Tokenizer,
  what: string,
): void {
  const embeddable =
    typeof model === "object" && model !== null && "namedParameters" in model
      ? wordEmbeddingRows(model as Parameters<typeof wordEmbeddingRows>[0])
      : undefined;
  if (embeddable !== undefined && embeddable < tokenizer.vocabSize) {
    assertIdsInVocabulary(rows, embeddable, { tokenizer, what });
  }
}
