import type { Tf, TfTensor } from "./engine.js";

/** Swaps the last two axes. */
function transposeLast2(tf: Tf, x: TfTensor): TfTensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** Per-matrix work (M·K·N) from which wasm runs a batched product as separate 2-D products. */
const WASM_SPLIT_BATCH_WORK = 1 << 21;

/**
 * wasm's `BatchMatMul` takes its fast XNNPACK path only for a single matrix: with several
 * batch entries it is up to 10× slower than one 2-D product per entry (e.g. 4 × [512, 64] ·
 * [64, 512]: 105 ms batched, 11 ms split). Splitting costs a few small copies, so it is only
 * done when each product is big enough (M·K·N ≥ 2²¹) and the batch axes are identical.
 */
function wasmBatchedMatMul(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  const ra = a.shape.length;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = batchA.reduce((p, q) => p * q, 1);
  const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (batch <= 1 || !same || m * k * n < WASM_SPLIT_BATCH_WORK) return tf.matMul(a, b);
  const as = tf.unstack(tf.reshape(a, [batch, m, k]));
  const bs = tf.unstack(tf.reshape(b, [batch, k, n]));
  const out = tf.stack(as.map((x, i) => tf.matMul(x, bs[i]!)));
  return ra === 3 ? out : tf.reshape(out, [...batchA, m, n]);
}

/**
 * TF.js `matMul` gets batch broadcasting wrong when both operands have several batch entries
 * in different layouts (`[2, 1, ·, ·]` · `[3, ·, ·]` computes only 3 of the 6 products): such
 * operands are broadcast to the common batch shape first. One-sided broadcasting (a weight
 * matrix against a batch) is handled by TF.js and left alone, so weights are never copied.
 */
function broadcastBatches(tf: Tf, a: TfTensor, b: TfTensor): [TfTensor, TfTensor] {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
  const rank = Math.max(batchA.length, batchB.length);
  const padded = (s: readonly number[]) => [...Array(rank - s.length).fill(1), ...s];
  const pa = padded(batchA);
  const pb = padded(batchB);
  if (size(batchA) <= 1 || size(batchB) <= 1 || pa.every((d, i) => d === pb[i])) return [a, b];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  return [
    tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]),
    tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]),
  ];
}

/**
 * Batched `matMul` with optional transposes of the last two axes. On wasm and cpu the
 * transposes are materialised first: the wasm `BatchMatMul` kernel only takes its fast
 * (XNNPACK) path without transpose flags, so e.g. `[1024, 1024]ᵀ · [1024, 256]` took ~900 ms
 * with `transposeA` and ~20 ms + a ~3 ms transpose without. Native TensorFlow handles the flags
 * itself. On wasm, large batched products are also split (see `wasmBatchedMatMul`).
 *
 * @example
 * ```ts
 * const dW = matMul(tf, x, dy, true, false);
 * ```
 */
export function matMul(tf: Tf, a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor {
  [a, b] = broadcastBatches(tf, a, b);
  const backend = tf.getBackend();
  if (backend === "tensorflow") return tf.matMul(a, b, transposeA, transposeB);
  const ta = transposeA ? transposeLast2(tf, a) : a;
  const tb = transposeB ? transposeLast2(tf, b) : b;
  return backend === "wasm" ? wasmBatchedMatMul(tf, ta, tb) : tf.matMul(ta, tb);
}
