import { TunekitError } from "../errors.js";
import type { Node, Tensor } from "./graph.js";
import type { OpAttrs } from "./op-attrs.js";
import {
  add,
  cast,
  div,
  equal,
  exp,
  log,
  matmul,
  max,
  maximum,
  mul,
  neg,
  oneHot,
  reshape,
  slice,
  sub,
  sum,
} from "./ops.js";

/**
 * Options of {@link linearCrossEntropy}.
 *
 * @example
 * ```ts
 * const options: LinearCrossEntropyOptions = { ignoreIndex: -100, chunkRows: 128 };
 * ```
 */
export interface LinearCrossEntropyOptions {
  /** Rows whose label equals this are skipped (default -100, as PyTorch). */
  readonly ignoreIndex?: number;
  /**
   * Rows of `hidden` per chunk (default {@link defaultChunkRows}): the `[chunkRows, V]`
   * logits of one chunk are the most of them that exist at once.
   */
  readonly chunkRows?: number;
}

/** Float32 logits one chunk may hold by default: 8 Mi values, 32 MiB. */
const DEFAULT_CHUNK_VALUES = 1 << 23;

/**
 * The default rows per chunk of {@link linearCrossEntropy}: as many as keep one chunk's
 * `[rows, vocab]` float32 logits within 32 MiB (at least 1, at most `rows`). A 49,152-token
 * vocabulary gives 170 rows; an 8,192-token one 1,024.
 *
 * @example
 * ```ts
 * defaultChunkRows(512, 49152); // 170
 * ```
 */
export function defaultChunkRows(rows: number, vocab: number): number {
  return Math.max(1, Math.min(rows, Math.floor(DEFAULT_CHUNK_VALUES / Math.max(1, vocab))));
}

/**
 * The `[start, rows]` of each chunk of `rows` rows cut `chunkRows` at a time (the last may
 * be shorter).
 *
 * @example
 * ```ts
 * chunkBounds(5, 2); // [[0, 2], [2, 2], [4, 1]]
 * ```
 */
export function chunkBounds(rows: number, chunkRows: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += chunkRows) out.push([start, Math.min(chunkRows, rows - start)]);
  return out;
}

/**
 * Mean cross-entropy of the logits `hidden · weightᵀ` against int32 `labels`, without ever
 * holding the whole `[N, V]` logits: `hidden [N, H]`, `weight [V, H]` (a language-model head
 * or a tied embedding table, as stored), `labels [N]`. Rows whose label is `ignoreIndex` are
 * skipped and the result is 0 when every row is. The value equals
 * `crossEntropy(matmul(hidden, weight, { transposeB: true }), labels, ignoreIndex)`.
 *
 * The rows are taken `chunkRows` at a time, both in the forward pass and in the gradient,
 * which recomputes each chunk's logits (one more `N·H·V` product) instead of keeping them:
 * for a 49,152-token vocabulary and 512 positions that is 32 MiB of logits at a time instead
 * of several 96 MiB `[N, V]` tensors alive from the end of the forward pass into the backward.
 *
 * @example
 * ```ts
 * const loss = linearCrossEntropy(reshape(hidden, [b * s, h]), embedding, nextTokens);
 * ```
 */
export function linearCrossEntropy(
  hidden: Tensor,
  weight: Tensor,
  labels: Tensor,
  options: LinearCrossEntropyOptions = {},
): Tensor {
  const rows = hidden.shape[0] ?? 1;
  const chunkRows = options.chunkRows ?? defaultChunkRows(rows, weight.shape[0] ?? 1);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `linearCrossEntropy: chunkRows must be a positive integer, got ${chunkRows}; leave it out for the default (32 MiB of logits per chunk)`,
    );
  }
  return hidden.graph.addNode("linearCrossEntropy", [hidden, weight, labels], {
    ignoreIndex: options.ignoreIndex ?? -100,
    chunkRows: Math.min(chunkRows, Math.max(1, rows)),
  });
}

/** Each chunk's `hidden` rows and labels (the tensors themselves when there is one chunk). */
export function chunkRowsOf(t: Tensor, bounds: ReadonlyArray<readonly [number, number]>): Tensor[] {
  if (bounds.length === 1) return [t];
  return bounds.map(([start, rows]) =>
    slice(t, [start, ...t.shape.slice(1).map(() => 0)], [rows, ...t.shape.slice(1)]),
  );
}

/** `1` for rows whose label is not `ignoreIndex`, else `0`: float32 `[N]`. */
export function validRows(labels: Tensor, ignoreIndex: number): Tensor {
  return sub(1, cast(equal(labels, ignoreIndex), "float32"));
}

/**
 * The primitive-op decomposition of a `linearCrossEntropy` node, chunk by chunk: per chunk
 * the logits product, a max-shifted log-softmax, the label's log-probability picked with a
 * one-hot, summed over valid rows; the total over all chunks is divided by the number of
 * valid rows (at least 1).
 *
 * @example
 * ```ts
 * const loss = decomposeLinearCrossEntropy(node, [hidden, weight, labels]);
 * ```
 */
export function decomposeLinearCrossEntropy(node: Node, [h, w, y]: readonly Tensor[]): Tensor {
  const { ignoreIndex, chunkRows } = node.attrs as OpAttrs["linearCrossEntropy"];
  const vocab = w!.shape[0]!;
  const valid = validRows(y!, ignoreIndex);
  const bounds = chunkBounds(h!.shape[0]!, chunkRows);
  const hs = chunkRowsOf(h!, bounds);
  const ys = chunkRowsOf(y!, bounds);
  const vs = chunkRowsOf(valid, bounds);
  let total: Tensor | undefined;
  hs.forEach((hc, i) => {
    const logits = matmul(hc, w!, { transposeB: true });
    const shifted = sub(logits, max(logits, 1, true));
    const logp = sub(shifted, log(sum(exp(shifted), 1, true)));
    const picked = sum(mul(oneHot(ys[i]!, vocab), logp), 1);
    const part = sum(mul(picked, vs[i]!));
    total = total === undefined ? part : add(total, part);
  });
  return div(neg(total!), maximum(sum(valid), 1));
}

/** `[rows] → [rows, 1]`, for scaling each row of a `[rows, V]` tensor. */
export function asColumn(t: Tensor): Tensor {
  return reshape(t, [t.shape[0] ?? 1, 1]);
}
