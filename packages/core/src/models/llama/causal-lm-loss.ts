import { TunekitError } from "../../errors.js";
import { crossEntropy } from "../../ir/composites.js";
import { linearCrossEntropy } from "../../ir/linear-cross-entropy.js";
import type { Tensor } from "../../ir/graph.js";
import { concat, full, reshape, slice } from "../../ir/ops.js";

/**
 * Hugging Face's causal-LM loss: the logits at position `t` predict the label at `t + 1`;
 * labels equal to `ignoreIndex` (-100: padding, a masked prompt) are skipped; the result is
 * the mean cross-entropy over the remaining positions of the whole batch (0 when none is
 * left). `logits [B, S, V]` float32, `labels [B, S]` int32 (the input ids themselves, not
 * shifted: the shift happens here).
 *
 * The labels are shifted, not the logits: each row's last position gets `ignoreIndex` as its
 * label and the cross-entropy runs over all `B·S` positions of the logits as they are. The
 * result is the same, and no `[B, S-1, V]` copy of the logits (nor its gradient's padding back
 * to `[B, S, V]`) is made: 100 MB each for batch 4 × 128 and a 49,152-token vocabulary.
 *
 * @example
 * ```ts
 * const loss = causalLmLoss(logits, labels); // labels: input_ids with -100 on padding
 * ```
 */
export function causalLmLoss(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  const [b, s, v] = logits.shape as [number, number, number];
  if (logits.rank !== 3 || labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== s) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `causalLmLoss: expected logits [B, S, V] and labels [B, S], got logits [${logits.shape.join(", ")}] ` +
        `and labels [${labels.shape.join(", ")}]`,
    );
  }
  const next = nextTokenLabels("causalLmLoss", labels, ignoreIndex);
  return crossEntropy(reshape(logits, [b * s, v]), next, ignoreIndex);
}

/**
 * {@link causalLmLoss} of the logits `hidden · headWeightᵀ`, computed from the hidden states
 * without the `[B, S, V]` logits ever existing whole: `linearCrossEntropy` takes the
 * positions in chunks (32 MiB of logits each by default) and its gradient recomputes each
 * chunk's logits instead of keeping them. `hidden [B, S, H]`; `headWeight [V, H]` (an
 * `lm_head` weight as stored, or the tied token embedding table); `labels [B, S]` as for
 * {@link causalLmLoss}. Costs one more `B·S·H·V` product in training; for batch 4 × 128 and a
 * 49,152-token vocabulary it keeps 32 MiB of logits at a time instead of several 96 MiB
 * tensors alive from the end of the forward pass into the backward.
 *
 * @example
 * ```ts
 * const loss = causalLmLossFromHidden(hidden, g.param(embedding), labels);
 * ```
 */
export function causalLmLossFromHidden(
  hidden: Tensor,
  headWeight: Tensor,
  labels: Tensor,
  options: { readonly ignoreIndex?: number; readonly chunkRows?: number } = {},
): Tensor {
  const [b, s, h] = hidden.shape as [number, number, number];
  if (hidden.rank !== 3 || labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== s) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `causalLmLossFromHidden: expected hidden [B, S, H] and labels [B, S], got hidden [${hidden.shape.join(", ")}] ` +
        `and labels [${labels.shape.join(", ")}]`,
    );
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const next = nextTokenLabels("causalLmLossFromHidden", labels, ignoreIndex);
  return linearCrossEntropy(reshape(hidden, [b * s, h]), headWeight, next, {
    ignoreIndex,
    ...(options.chunkRows === undefined ? {} : { chunkRows: options.chunkRows }),
  });
}

/** The label each position predicts, flat `[B·S]`: the next one in its row, `ignoreIndex` at each row's end. */
function nextTokenLabels(who: string, labels: Tensor, ignoreIndex: number): Tensor {
  const [b, s] = labels.shape as [number, number];
  if (labels.dtype !== "int32") {
    throw new TunekitError(
      "DTYPE_MISMATCH",
      `${who}: labels must be int32 token ids (-100 to ignore), got ${labels.dtype}; cast them with cast(labels, "int32")`,
    );
  }
  if (s < 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${who}: sequences of length ${s} have no next token to predict; a causal-LM loss needs at least 2 positions`,
    );
  }
  const last = full(labels.graph, [b, 1], ignoreIndex, "int32");
  return reshape(concat([slice(labels, [0, 1], [b, s - 1]), last], 1), [b * s]);
}
