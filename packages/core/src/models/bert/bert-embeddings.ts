import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { add, cast, concat, constant, equal, full, gather, matmul, mul, slice, sub } from "../../ir/ops.js";
import type { Rng } from "../../data/random.js";
import { Dropout } from "../../modules/dropout.js";
import { Embedding } from "../../modules/embedding.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";
import type { BertConfig } from "../../io/bert-config.js";

/**
 * BERT embeddings: word + absolute position + token type, then LayerNorm and dropout.
 * Children: `word_embeddings`, `position_embeddings`, `token_type_embeddings`,
 * `LayerNorm`, `dropout` (Hugging Face names). The other encoders differ by configuration:
 * RoBERTa / XLM-RoBERTa number positions from the ids (`create_position_ids_from_input_ids`:
 * `padding_idx + 1` onwards over non-pad tokens, pad tokens at `padding_idx`), ELECTRA's
 * tables are `embedding_size` wide, DistilBERT has no `token_type_embeddings`.
 *
 * Two hooks for prompt-learning strategies, inert by default: {@link BertEmbeddings.positionOffset}
 * (positions start there, as Hugging Face's `past_key_values_length` makes them start after
 * a prefix-tuning prefix), and a wrapped `word_embeddings` layer may return MORE positions
 * than `input_ids` has (prompt tuning prepends virtual tokens): the extra leading positions
 * get position embeddings like any token and token type 0, as PEFT's zero-padded
 * `token_type_ids`. Explicit `positionIds` (int32 `[B, S]`, Hugging Face's `position_ids`)
 * replace the default `offset..offset+S-1` for every row; ids must be below
 * `max_position_embeddings` (they index the table).
 *
 * @example
 * ```ts
 * const emb = new BertEmbeddings(config, mulberry32(0));
 * const x = emb.forward(inputIds, tokenTypeIds, ctx); // [B, S, hidden]
 * ```
 */
export class BertEmbeddings extends Module {
  readonly maxPositions: number;
  /** RoBERTa numbering: positions from the input ids, starting after this padding index. */
  readonly positionPaddingIdx: number | undefined;
  /** First position id (default 0); prefix tuning sets it to the number of virtual tokens. */
  positionOffset = 0;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.embeddingSize ?? config.hiddenSize;
    const std = config.initializerRange;
    this.maxPositions = config.maxPositionEmbeddings;
    const roberta = config.modelType === "roberta" || config.modelType === "xlm-roberta";
    this.positionPaddingIdx = roberta ? (config.padTokenId ?? 1) : undefined;
    this.registerModule(
      "word_embeddings",
      new Embedding(config.vocabSize, h, { rng, std, paddingIdx: config.padTokenId }),
    );
    this.registerModule("position_embeddings", new Embedding(config.maxPositionEmbeddings, h, { rng, std }));
    if (config.typeVocabSize > 0) {
      this.registerModule("token_type_embeddings", new Embedding(config.typeVocabSize, h, { rng, std }));
    }
    this.registerModule("LayerNorm", new LayerNorm(h, config.layerNormEps));
    this.registerModule("dropout", new Dropout(config.hiddenDropoutProb));
  }

  /** `inputIds`, `tokenTypeIds`: int32 `[B, S]` (token types default to 0). */
  forward(
    inputIds: Tensor,
    tokenTypeIds: Tensor | undefined,
    ctx: ForwardContext = EVAL_CONTEXT,
    positionIds?: Tensor,
  ): Tensor {
    const [, seqLen] = inputIds.shape;
    if (inputIds.rank !== 2 || seqLen === undefined) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `BertEmbeddings: input_ids must be int32 [batch, seq], got ${inputIds.dtype}[${inputIds.shape.join(", ")}]`,
      );
    }
    const words = this.child<Layer>("word_embeddings").forward(inputIds);
    const total = words.shape[1]!; // seqLen, or more when virtual tokens were prepended
    const start = this.positionOffset;
    const idsOffset = this.positionPaddingIdx === undefined ? 0 : this.positionPaddingIdx + 1;
    if (start + total + idsOffset > this.maxPositions) {
      const what =
        total > seqLen || start > 0
          ? `${seqLen} tokens + ${total - seqLen + start} virtual tokens`
          : `sequence length ${seqLen}`;
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `BertEmbeddings: ${what}${idsOffset ? ` (positions from ${idsOffset})` : ""} exceeds max_position_embeddings ${this.maxPositions}; truncate inputs to ${this.maxPositions - (total - seqLen) - start - idsOffset} tokens`,
      );
    }
    const posTable = inputIds.graph.param(this.child<Embedding>("position_embeddings").weight);
    let positions: Tensor;
    if (positionIds === undefined && this.positionPaddingIdx !== undefined && total > seqLen) {
      // prompt tuning feeds embeddings: Hugging Face numbers every position from padding_idx + 1
      // (create_position_ids_from_inputs_embeds), pads and virtual tokens included
      positions = slice(posTable, [this.positionPaddingIdx + 1 + start, 0], [total, -1]);
    } else if (positionIds === undefined && this.positionPaddingIdx !== undefined) {
      positions = gather(posTable, robertaPositionIds(inputIds, this.positionPaddingIdx, start));
    } else if (positionIds === undefined) {
      positions = slice(posTable, [start, 0], [total, -1]); // [total, H], broadcast over batch
    } else {
      if (total !== seqLen) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          "BertEmbeddings: position_ids cannot be combined with prepended virtual tokens (prompt tuning); leave them out",
        );
      }
      positions = gather(posTable, positionIds); // [B, S, H]
    }
    const b = inputIds.shape[0]!;
    let x = add(words, positions);
    if (this.namedChildren().some(([n]) => n === "token_type_embeddings")) {
      let types = tokenTypeIds ?? full(inputIds.graph, [b, seqLen], 0, "int32");
      if (total > seqLen) types = concat([full(inputIds.graph, [b, total - seqLen], 0, "int32"), types], 1);
      x = add(x, this.child<Layer>("token_type_embeddings").forward(types));
    }
    return this.child<Layer>("dropout").forward(this.child<Layer>("LayerNorm").forward(x), ctx);
  }
}

/**
 * Hugging Face's `create_position_ids_from_input_ids` (RoBERTa, XLM-RoBERTa): each non-pad
 * token's position is `padding_idx + offset + (its rank among the row's non-pad tokens)`,
 * counting from 1; pad tokens get `padding_idx`. `offset` is `past_key_values_length` (a
 * prefix-tuning prefix). The running count is a product with an upper-triangular ones
 * matrix, exact in float32 for any real sequence length.
 *
 * @example
 * ```ts
 * const pos = robertaPositionIds(inputIds, 1); // ids [0, 5, 6, 1] -> [2, 3, 4, 1]
 * ```
 */
export function robertaPositionIds(inputIds: Tensor, paddingIdx: number, offset = 0): Tensor {
  const s = inputIds.shape[1]!;
  const keep = sub(1, cast(equal(inputIds, paddingIdx), "float32")); // [B, S]
  const upper = new Float32Array(s * s);
  for (let i = 0; i < s; i++) for (let j = i; j < s; j++) upper[i * s + j] = 1;
  const count = matmul(keep, constant(inputIds.graph, "float32", [s, s], upper)); // inclusive cumsum
  return cast(add(mul(add(count, offset), keep), paddingIdx), "int32");
}
