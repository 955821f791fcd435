import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { cast, div, maximum, mul, reshape, sum } from "../../ir/ops.js";

/**
 * Sentence embeddings by mean pooling, as sentence-transformers' `Pooling(mode "mean")`
 * computes them: the mean of `lastHiddenState` `[B, S, H]` over the tokens whose
 * `attentionMask` `[B, S]` is 1 (padding left out), `sum(h · m) / max(sum(m), 1e-9)`, shaped
 * `[B, H]`.
 *
 * @example
 * ```ts
 * const { lastHiddenState } = bert.forward({ inputIds, attentionMask }, EVAL_CONTEXT);
 * const embeddings = meanPooling(lastHiddenState, attentionMask); // [B, hidden]
 * ```
 */
export function meanPooling(lastHiddenState: Tensor, attentionMask: Tensor): Tensor {
  const [b, s] = lastHiddenState.shape as [number, number, number];
  if (
    lastHiddenState.rank !== 3 ||
    attentionMask.rank !== 2 ||
    attentionMask.shape[0] !== b ||
    attentionMask.shape[1] !== s
  ) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `meanPooling: expected hidden states [B, S, H] and a mask [B, S], got [${lastHiddenState.shape.join(", ")}] ` +
        `and [${attentionMask.shape.join(", ")}]`,
    );
  }
  const m = reshape(cast(attentionMask, "float32"), [b, s, 1]);
  const total = sum(mul(lastHiddenState, m), 1); // [B, H]
  const count = maximum(sum(m, 1), 1e-9); // [B, 1]
  return div(total, count);
}
