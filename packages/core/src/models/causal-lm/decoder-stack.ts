import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { broadcastTo } from "../../ir/ops.js";
import type { KvCacheLayer, StaticKvCache } from "../llama/kv-cache.js";
import { checkDecoderIds } from "./causal-lm-head.js";

// Input checks and cache glue shared by the decoder stacks (Llama-family, GPT-2).

/** A decode step's attention bias, the cache's slot mask; `attentionMask` must be left out. */
export function decodeStepBias(who: string, cache: StaticKvCache, attentionMask: Tensor | undefined): Tensor {
  if (attentionMask) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${who}: a decode step with a key/value cache takes its slot mask from the cache; leave attention_mask out`,
    );
  }
  return cache.decodeBias();
}

/** Checks an attention mask `[B, S]` (padding) or `[B, S, S]` (packed rows) against `inputIds [B, S]`. */
export function checkAttentionMask(who: string, inputIds: Tensor, attentionMask: Tensor | undefined): void {
  if (attentionMask?.rank === 3) {
    checkDecoderIds(who, attentionMask, "attention_mask", [...inputIds.shape, inputIds.shape[1]!]);
  } else if (attentionMask) checkDecoderIds(who, attentionMask, "attention_mask", inputIds.shape);
}

/** A batch-1 layer's keys and values `[1, kv, P, d]` broadcast to `[b, kv, P, d]`. */
export function broadcastPrefix(layer: KvCacheLayer, b: number): { key: Tensor; value: Tensor } {
  const to = (t: Tensor): Tensor => broadcastTo(t, [b, ...t.shape.slice(1)]);
  return { key: to(layer.keys), value: to(layer.values) };
}
