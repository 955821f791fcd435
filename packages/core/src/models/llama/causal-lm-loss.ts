import { TunekitError } from "../../errors.js";
import { crossEntropy } from "../../ir/composites.js";
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
  if (labels.dtype !== "int32") {
    throw new TunekitError(
      "DTYPE_MISMATCH",
      `causalLmLoss: labels must be int32 token ids (-100 to ignore), got ${labels.dtype}; cast them with cast(labels, "int32")`,
    );
  }
  if (s < 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `causalLmLoss: sequences of length ${s} have no next token to predict; a causal-LM loss needs at least 2 positions`,
    );
  }
  const last = full(labels.graph, [b, 1], ignoreIndex, "int32");
  const next = reshape(concat([slice(labels, [0, 1], [b, s - 1]), last], 1), [b * s]);
  return crossEntropy(reshape(logits, [b * s, v]), next, ignoreIndex);
}
