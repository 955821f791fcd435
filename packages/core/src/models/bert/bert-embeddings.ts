import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { add, concat, full, gather, slice } from "../../ir/ops.js";
import type { Rng } from "../../data/random.js";
import { Dropout } from "../../modules/dropout.js";
import { Embedding } from "../../modules/embedding.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";
import type { BertConfig } from "../../io/bert-config.js";

/**
 * BERT embeddings: word + absolute position + token type, then LayerNorm and dropout.
 * Children: `word_embeddings`, `position_embeddings`, `token_type_embeddings`,
 * `LayerNorm`, `dropout` (Hugging Face names).
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
  /** First position id (default 0); prefix tuning sets it to the number of virtual tokens. */
  positionOffset = 0;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    const std = config.initializerRange;
    this.maxPositions = config.maxPositionEmbeddings;
    this.registerModule(
      "word_embeddings",
      new Embedding(config.vocabSize, h, { rng, std, paddingIdx: config.padTokenId }),
    );
    this.registerModule("position_embeddings", new Embedding(config.maxPositionEmbeddings, h, { rng, std }));
    this.registerModule("token_type_embeddings", new Embedding(config.typeVocabSize, h, { rng, std }));
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
    if (start + total > this.maxPositions) {
      const what =
        total > seqLen || start > 0
          ? `${seqLen} tokens + ${total - seqLen + start} virtual tokens`
          : `sequence length ${seqLen}`;
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `BertEmbeddings: ${what} exceeds max_position_embeddings ${this.maxPositions}; truncate inputs to ${this.maxPositions - (total - seqLen) - start} tokens`,
      );
    }
    const posTable = inputIds.graph.param(this.child<Embedding>("position_embeddings").weight);
    let positions: Tensor;
    if (positionIds === undefined) {
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
    let types = tokenTypeIds ?? full(inputIds.graph, [b, seqLen], 0, "int32");
    if (total > seqLen) types = concat([full(inputIds.graph, [b, total - seqLen], 0, "int32"), types], 1);
    const typeEmb = this.child<Layer>("token_type_embeddings").forward(types);
    const x = add(add(words, positions), typeEmb);
    return this.child<Layer>("dropout").forward(this.child<Layer>("LayerNorm").forward(x), ctx);
  }
}
