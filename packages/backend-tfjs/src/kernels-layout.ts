import type { OpAttrs } from "@tunekit/core/ir";
import type { Tf, TfTensor } from "./engine.js";
import { type Kernel, oneHotFloat, scalarOf } from "./kernel.js";
import { matMul } from "./matmul.js";

type Reduce = "sum" | "mean" | "max";

/**
 * `sum` / `mean` / `max` over `axes`; no axes is the identity (TF.js would reduce all). Over
 * an empty axis the IR says sum 0, mean NaN, max -Infinity (int32: -2^31); TF.js gives NaN or 0
 * depending on the engine, so those are filled directly.
 */
function reduce(
  tf: Tf,
  op: Reduce,
  x: TfTensor,
  attrs: OpAttrs["sum"],
  outShape: readonly number[],
): TfTensor {
  if (attrs.axes.length === 0) return tf.clone(x);
  if (attrs.axes.some((a) => x.shape[a] === 0)) {
    const empty = { sum: 0, mean: Number.NaN, max: x.dtype === "int32" ? -2147483648 : -Infinity }[op];
    return tf.fill([...outShape], empty, x.dtype);
  }
  return tf[op](x, [...attrs.axes], attrs.keepDims);
}

/**
 * `scatterAdd(indices, updates)` into zeros of `shape`, duplicates summed.
 *
 * Lowered to `tf.scatterND`, which sums duplicate indices on every engine (checked on wasm
 * and cpu); the wasm backend has no `UnsortedSegmentSum` kernel. Indices outside `[0, N)` are
 * dropped (their rows contribute nothing): they are redirected to row 0 with zeroed updates,
 * because cpu throws on them and the wasm kernel must never see them. For a BERT embedding
 * gradient (30522 × 256, 2048 tokens) this takes ~21 ms on wasm, about the cost of
 * materialising the zero tensor itself; a one-hot matmul took ~51 s.
 */
function scatterAdd(tf: Tf, shape: readonly number[], indices: TfTensor, updates: TfTensor): TfTensor {
  const n = indices.size;
  const rows = shape[0]!;
  const rest = shape.slice(1);
  if (n === 0) return tf.zeros([...shape], updates.dtype);
  const flatIdx = tf.reshape(indices, [n]);
  const valid = tf.logicalAnd(
    tf.greaterEqual(flatIdx, scalarOf(tf, 0, "int32")),
    tf.less(flatIdx, scalarOf(tf, rows, "int32")),
  );
  const safeIdx = tf.where(valid, flatIdx, tf.zerosLike(flatIdx));
  const keep = tf.reshape(tf.cast(valid, updates.dtype), [n, ...rest.map(() => 1)]);
  const safeUpdates = tf.mul(tf.reshape(updates, [n, ...rest]), keep);
  return tf.scatterND(tf.reshape(safeIdx, [n, 1]), safeUpdates, [...shape]);
}

/**
 * Kernels for reductions, layout ops, `matmul` and the indexing ops (`gather`, `scatterAdd`,
 * `oneHot`).
 *
 * @example
 * ```ts
 * const y = LAYOUT_KERNELS.transpose(tf, node, [x]);
 * ```
 */
export const LAYOUT_KERNELS = {
  sum: (tf, n, [x]) => reduce(tf, "sum", x!, n.attrs as OpAttrs["sum"], n.shape),
  mean: (tf, n, [x]) => reduce(tf, "mean", x!, n.attrs as OpAttrs["mean"], n.shape),
  max: (tf, n, [x]) => reduce(tf, "max", x!, n.attrs as OpAttrs["max"], n.shape),
  reshape: (tf, n, [x]) => tf.reshape(x!, [...n.shape]),
  transpose: (tf, n, [x]) => tf.transpose(x!, [...(n.attrs as OpAttrs["transpose"]).perm]),
  broadcastTo: (tf, n, [x]) => tf.broadcastTo(x!, [...n.shape]),
  slice: (tf, n, [x]) => {
    const { begin, size } = n.attrs as OpAttrs["slice"];
    return tf.slice(x!, [...begin], [...size]);
  },
  pad: (tf, n, [x]) => {
    const { before, after } = n.attrs as OpAttrs["pad"];
    return tf.pad(
      x!,
      before.map((b, i) => [b, after[i]!] as [number, number]),
    );
  },
  concat: (tf, n, xs) => tf.concat([...xs], (n.attrs as OpAttrs["concat"]).axis),
  matmul: (tf, n, [a, b]) => {
    const { transposeA, transposeB } = n.attrs as OpAttrs["matmul"];
    return matMul(tf, a!, b!, transposeA, transposeB);
  },
  gather: (tf, _n, [params, indices]) => tf.gather(params!, indices!, 0),
  scatterAdd: (tf, n, [indices, updates]) =>
    scatterAdd(tf, (n.attrs as OpAttrs["scatterAdd"]).shape, indices!, updates!),
  oneHot: (tf, n, [indices]) => oneHotFloat(tf, indices!, (n.attrs as OpAttrs["oneHot"]).depth),
} satisfies Record<string, Kernel>;
