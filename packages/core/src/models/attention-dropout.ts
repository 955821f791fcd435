import { attention, softmax } from "../ir/composites.js";
import type { Tensor } from "../ir/graph.js";
import { add, matmul, mul } from "../ir/ops.js";
import { Dropout } from "../modules/dropout.js";
import type { ForwardContext, Layer } from "../modules/module.js";

/**
 * Scaled dot-product attention `softmax(q kᵀ · scale + maskBias) v` with dropout `drop` on the
 * attention probabilities while training (Hugging Face's `attention_probs_dropout_prob` /
 * `attn_pdrop`); otherwise the fused {@link attention} composite. Shared by the encoder and
 * GPT-2 attention blocks.
 */
export function attentionWithDropout(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  maskBias: Tensor,
  scale: number,
  drop: Layer,
  ctx: ForwardContext,
): Tensor {
  if (ctx.training && drop instanceof Dropout && drop.rate > 0) {
    const scores = add(mul(matmul(q, k, { transposeB: true }), scale), maskBias);
    return matmul(drop.forward(softmax(scores, -1), ctx), v);
  }
  return attention(q, k, v, maskBias, scale);
}
