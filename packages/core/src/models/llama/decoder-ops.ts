import { TunekitError } from "../../errors.js";
import { attention } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import {
  add,
  broadcastTo,
  cast,
  concat,
  constant,
  div,
  gather,
  mean,
  mul,
  reshape,
  slice,
  sqrt,
  sub,
  tanh,
} from "../../ir/ops.js";
import { FLOAT32_MIN } from "../bert/bert-model.js";

// The decoder's building blocks, written with the IR's primitive ops: autodiff takes their
// gradients from the primitives' VJP rules, and every backend runs them without new kernels.

/**
 * RMSNorm over the last axis (Llama's `LlamaRMSNorm`): `weight · x / √(mean(x²) + eps)`.
 *
 * @example
 * ```ts
 * const h = rmsNorm(x, g.param(normWeight), 1e-6); // x [B, S, H], weight [H]
 * ```
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const meanSquare = mean(mul(x, x), -1, true);
  return mul(div(x, sqrt(add(meanSquare, eps))), weight);
}

/**
 * SiLU (swish), `x · sigmoid(x)`, with the sigmoid written as `(1 + tanh(x/2)) / 2`: no
 * overflow for any float32 input, in the forward or the backward pass.
 *
 * @example
 * ```ts
 * const h = mul(silu(gate), up); // SwiGLU
 * ```
 */
export function silu(x: Tensor): Tensor {
  return mul(x, add(mul(tanh(mul(x, 0.5)), 0.5), 0.5));
}

/**
 * Host tables of rotary position embeddings (Hugging Face's rotate-half convention):
 * `cos`, and `sin` with its first half negated, both float32 `[seqLength, headDim]`
 * for positions `offset .. offset + seqLength - 1`, computed in float64
 * (`inv_freq_i = theta^(-2i/headDim)`, angles repeated over both halves).
 *
 * @example
 * ```ts
 * const { cos, signedSin } = rotaryTables(16, 64, 10000);
 * ```
 */
export function rotaryTables(
  seqLength: number,
  headDim: number,
  theta: number,
  offset = 0,
): { cos: Float32Array; signedSin: Float32Array } {
  if (headDim % 2 !== 0 || headDim < 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `rotaryTables: headDim must be even and at least 2 for rotate-half rotary embeddings, got ${headDim}`,
    );
  }
  const half = headDim / 2;
  const cos = new Float32Array(seqLength * headDim);
  const signedSin = new Float32Array(seqLength * headDim);
  for (let s = 0; s < seqLength; s++) {
    for (let i = 0; i < half; i++) {
      const angle = (s + offset) * theta ** (-(2 * i) / headDim);
      const c = Math.cos(angle);
      const sn = Math.sin(angle);
      const row = s * headDim;
      cos[row + i] = c;
      cos[row + half + i] = c;
      signedSin[row + i] = -sn;
      signedSin[row + half + i] = sn;
    }
  }
  return { cos, signedSin };
}

/**
 * Rotary position embedding of `x [..., S, headDim]` at positions `0 .. S-1`:
 * `x · cos + rotate_half(x) · sin`, where `rotate_half(x) = [-x₂, x₁]` (Hugging Face's
 * convention for Llama, Mistral and Qwen2 checkpoints). The tables are graph constants.
 *
 * @example
 * ```ts
 * const qRot = applyRotary(q, 10000); // q [B, heads, S, headDim]
 * ```
 */
export function applyRotary(x: Tensor, theta: number): Tensor {
  const [s, d] = x.shape.slice(-2) as [number, number];
  const { cos, signedSin } = rotaryTables(s, d, theta);
  const g = x.graph;
  return applyRotaryTables(x, {
    cos: constant(g, "float32", [s, d], cos),
    signedSin: constant(g, "float32", [s, d], signedSin),
  });
}

/**
 * Rotary tables as graph tensors for explicit positions (Hugging Face's `position_ids`):
 * rows of the `[tableLength, headDim]` host tables gathered at the int32 `positionIds [B, S]`,
 * shaped `[B, 1, S, headDim]` to broadcast over heads. Every position must be below
 * `tableLength`. Used for left-padded prompts and key/value-cache decoding.
 *
 * @example
 * ```ts
 * const rope = rotaryAtPositions(positionIds, 8, 10000, 64);
 * const qRot = applyRotaryTables(q, rope); // q [B, heads, S, 8]
 * ```
 */
export function rotaryAtPositions(
  positionIds: Tensor,
  headDim: number,
  theta: number,
  tableLength: number,
): { cos: Tensor; signedSin: Tensor } {
  if (positionIds.dtype !== "int32" || positionIds.rank !== 2) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `rotaryAtPositions: position_ids must be int32 [batch, seq], got ${positionIds.dtype}[${positionIds.shape.join(", ")}]`,
    );
  }
  const [b, s] = positionIds.shape as [number, number];
  const { cos, signedSin } = rotaryTables(tableLength, headDim, theta);
  const g = positionIds.graph;
  const rows = (table: Float32Array): Tensor =>
    reshape(gather(constant(g, "float32", [tableLength, headDim], table), positionIds), [b, 1, s, headDim]);
  return { cos: rows(cos), signedSin: rows(signedSin) };
}

/**
 * `x · cos + rotate_half(x) · sin` with given tables (`cos` and `signedSin` broadcastable to
 * `x [..., S, headDim]`, see {@link rotaryTables} and {@link rotaryAtPositions}).
 *
 * @example
 * ```ts
 * const kRot = applyRotaryTables(k, rotaryAtPositions(positionIds, 8, 10000, 64));
 * ```
 */
export function applyRotaryTables(
  x: Tensor,
  tables: { readonly cos: Tensor; readonly signedSin: Tensor },
): Tensor {
  const d = x.shape[x.rank - 1]!;
  const half = d / 2;
  const begin = x.shape.map(() => 0);
  const size = x.shape.map(() => -1);
  const first = slice(x, begin, [...size.slice(0, -1), half]);
  const second = slice(x, [...begin.slice(0, -1), half], size);
  const swapped = concat([second, first], -1); // [x₂, x₁]; the sign lives in signedSin
  return add(mul(x, tables.cos), mul(swapped, tables.signedSin));
}

/**
 * The additive attention bias of a causal decoder `[B, 1, S, S]` (`[1, 1, S, S]` without a
 * mask): 0 where query `i` may see key `j` (`j ≤ i`, within `slidingWindow` positions when
 * given, and `attentionMask[b, j] = 1`), float32 min elsewhere, as Hugging Face builds it.
 * A `[B, S, S]` mask (1 where query `i` may see key `j`, e.g. the block-diagonal mask of
 * packed rows) is combined with the causal mask the same way.
 *
 * @example
 * ```ts
 * const bias = causalMaskBias(inputIds.graph, 8, attentionMask); // attentionMask int32 [B, 8]
 * ```
 */
export function causalMaskBias(
  graph: Tensor["graph"],
  seqLength: number,
  attentionMask?: Tensor,
  slidingWindow?: number,
): Tensor {
  const s = seqLength;
  const allowed = new Float32Array(s * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j <= i; j++) {
      if (slidingWindow === undefined || i - j < slidingWindow) allowed[i * s + j] = 1;
    }
  }
  const causal = constant(graph, "float32", [1, 1, s, s], allowed);
  if (attentionMask === undefined) return mul(sub(1, causal), FLOAT32_MIN);
  const b = attentionMask.shape[0]!;
  const pairs = attentionMask.rank === 3;
  const keys = reshape(cast(attentionMask, "float32"), pairs ? [b, 1, s, s] : [b, 1, 1, s]);
  return mul(sub(1, mul(causal, keys)), FLOAT32_MIN);
}

/**
 * Grouped-query attention without copying keys and values: the query heads that share a
 * key/value head are stacked along the sequence axis, so `q [B, H, S, D]` attends to
 * `k, v [B, KV, S, D]` (H a multiple of KV; head `h` uses key/value head `⌊h / (H/KV)⌋`, as
 * Hugging Face's `repeat_kv`), with the additive `bias [B|1, 1, S, S]`. Returns `[B, H, S, D]`.
 *
 * @example
 * ```ts
 * const ctx = groupedQueryAttention(q, k, v, causalMaskBias(g, s, mask), 1 / Math.sqrt(d));
 * ```
 */
export function groupedQueryAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: number): Tensor {
  const [b, h, s, d] = q.shape as [number, number, number, number];
  const kv = k.shape[1]!;
  if (q.rank !== 4 || k.rank !== 4 || h % kv !== 0 || k.shape[3] !== d) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `groupedQueryAttention: q [${q.shape.join(", ")}] and k [${k.shape.join(", ")}] must be [B, H, S, D] and ` +
        "[B, KV, S', D] with KV dividing H",
    );
  }
  if (kv === h) return attention(q, k, v, bias, scale);
  const rep = h / kv;
  const bb = bias.shape[0]!;
  const sk = k.shape[2]!;
  const stackedBias = reshape(broadcastTo(reshape(bias, [bb, 1, 1, s, sk]), [bb, 1, rep, s, sk]), [
    bb,
    1,
    rep * s,
    sk,
  ]);
  const out = attention(reshape(q, [b, kv, rep * s, d]), k, v, stackedBias, scale);
  return reshape(out, [b, h, s, d]);
}
