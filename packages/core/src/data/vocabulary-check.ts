import { TunekitError } from "../errors.js";
import type { Tokenizer } from "./tokenizer.js";

/**
 * Checks that every token id of tokenized rows has an embedding row (`id < vocabSize`). A
 * tokenizer may hold more ids than a model's `vocab_size` (added tokens, another checkpoint's
 * vocabulary): that is fine until such an id actually occurs, where Hugging Face would crash
 * with an index error. Here it is `DATA_INVALID` naming the token, the row and the ways out.
 *
 * @example
 * ```ts
 * assertIdsInVocabulary(tokenized.ids, wordEmbeddingRows(model)!, { tokenizer, what: "train split" });
 * ```
 */
export function assertIdsInVocabulary(
  rows: readonly ArrayLike<number>[],
  vocabSize: number,
  o: { readonly tokenizer?: Tokenizer; readonly what: string },
): void {
  for (let r = 0; r < rows.length; r++) {
    const ids = rows[r]!;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (id < vocabSize) continue;
      let token = "";
      try {
        token = o.tokenizer === undefined ? "" : ` ${JSON.stringify(o.tokenizer.decode([id]))}`;
      } catch {
        token = "";
      }
      throw new TunekitError(
        "DATA_INVALID",
        `${o.what} row ${r + 1}: token${token} (id ${id}) has no embedding: the model's vocab_size is ${vocabSize}` +
          `${o.tokenizer === undefined ? "" : ` but the tokenizer has ${o.tokenizer.vocabSize} ids`}. ` +
          "Use the tokenizer the model was trained with, or train with model.resizeEmbeddings: true " +
          "to add embedding rows for the extra tokens",
        { details: { row: r, id, vocabSize } },
      );
    }
  }
}
