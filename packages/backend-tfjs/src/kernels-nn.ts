import { chunkBounds, type OpAttrs } from "@tunekit/core/ir";
import type { Tf, TfTensor } from "./engine.js";
import { type Kernel, scalarOf } from "./kernel.js";
import { matMul } from "./matmul.js";

/**
 * Applies a last-axis TF.js op (`softmax`, `logSoftmax` only take the last axis) along any
 * `axis` by moving that axis last and back.
 */
function alongAxis(tf: Tf, x: TfTensor, axis: number, f: (t: TfTensor) => TfTensor): TfTensor {
  const last = x.rank - 1;
  if (axis === last) return f(x);
  const perm = [...Array(x.rank).keys()];
  perm[axis] = last;
  perm[last] = axis;
  return tf.transpose(f(tf.transpose(x, perm)), perm); // a swap is its own inverse
}

/** `(x - mean) / sqrt(var + eps) · gamma + beta` over the last axis, biased variance. */
function layerNorm(tf: Tf, x: TfTensor, gamma: TfTensor, beta: TfTensor, eps: number): TfTensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const inv = tf.rsqrt(tf.add(variance, scalarOf(tf, eps, "float32")));
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), inv), gamma), beta);
}

function gelu(tf: Tf, x: TfTensor, approximate: OpAttrs["gelu"]["approximate"]): TfTensor {
  const f = (v: number) => scalarOf(tf, v, "float32");
  const half = tf.mul(x, f(0.5));
  if (approximate === "tanh") {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, f(0.044715))), f(Math.sqrt(2 / Math.PI)));
    return tf.mul(half, tf.add(tf.tanh(inner), f(1)));
  }
  return tf.mul(half, tf.add(tf.erf(tf.mul(x, f(Math.SQRT1_2))), f(1)));
}

/** `softmax(q kᵀ · scale + bias) v` with batched matMuls and the fused last-axis softmax. */
function attention(tf: Tf, q: TfTensor, k: TfTensor, v: TfTensor, bias: TfTensor, scale: number): TfTensor {
  const scores = tf.add(tf.mul(matMul(tf, q, k, false, true), scalarOf(tf, scale, "float32")), bias);
  return matMul(tf, tf.softmax(scores), v, false, false);
}

/**
 * Mean negative log-likelihood over rows whose label is not `ignoreIndex` (0 when all are
 * ignored). The label's log-probability is gathered from the flattened `logSoftmax` (no
 * `[N, C]` one-hot: that would double the memory of an MLM head); labels outside `[0, C)`
 * pick 0 but still count as rows, exactly like core's one-hot decomposition.
 */
function crossEntropy(tf: Tf, logits: TfTensor, labels: TfTensor, ignoreIndex: number): TfTensor {
  const [rows, classes] = logits.shape as [number, number];
  const int = (v: number) => scalarOf(tf, v, "int32");
  const logp = tf.reshape(tf.logSoftmax(logits), [rows * classes]);
  const inRange = tf.logicalAnd(tf.greaterEqual(labels, int(0)), tf.less(labels, int(classes)));
  const safe = tf.where(inRange, labels, tf.zerosLike(labels));
  const flat = tf.add(tf.mul(tf.range(0, rows, 1, "int32"), int(classes)), safe);
  const picked = tf.mul(tf.gather(logp, flat), tf.cast(inRange, "float32"));
  const valid = tf.cast(tf.notEqual(labels, int(ignoreIndex)), "float32");
  const total = tf.neg(tf.sum(tf.mul(picked, valid)));
  return tf.div(total, tf.maximum(tf.sum(valid), scalarOf(tf, 1, "float32")));
}

/**
 * `crossEntropy(hidden · weightᵀ, labels)` a chunk of `chunkRows` rows at a time, each
 * chunk's logits freed (`tf.tidy`) before the next is made.
 */
function linearCrossEntropy(
  tf: Tf,
  hidden: TfTensor,
  weight: TfTensor,
  labels: TfTensor,
  attrs: OpAttrs["linearCrossEntropy"],
): TfTensor {
  const [rows, width] = hidden.shape as [number, number];
  const valid = tf.cast(tf.notEqual(labels, scalarOf(tf, attrs.ignoreIndex, "int32")), "float32");
  let total = scalarOf(tf, 0, "float32");
  for (const [start, n] of chunkBounds(rows, attrs.chunkRows)) {
    const next = tf.tidy(() => {
      const hc = tf.slice(hidden, [start, 0], [n, width]);
      const yc = tf.slice(labels, [start], [n]);
      const mean = crossEntropy(tf, matMul(tf, hc, weight, false, true), yc, attrs.ignoreIndex);
      // crossEntropy gives this chunk's mean: back to its sum over the chunk's valid rows
      const count = tf.maximum(tf.sum(tf.slice(valid, [start], [n])), scalarOf(tf, 1, "float32"));
      return tf.add(total, tf.mul(mean, count));
    });
    total.dispose();
    total = next;
  }
  return tf.div(total, tf.maximum(tf.sum(valid), scalarOf(tf, 1, "float32")));
}

/**
 * Dropout keep-mask: `1 / (1 - rate)` where a uniform draw in [0, 1) is `>= rate`, else 0.
 * The int32 seed is read back to the host and passed to `tf.randomUniform` (an alea PRNG
 * seeded by that number): the same seed gives the same mask on the same engine; engines and
 * other backends need not agree (as the IR allows).
 */
function dropoutMask(tf: Tf, shape: readonly number[], seed: TfTensor, rate: number): TfTensor {
  const s = seed.dataSync()[0] ?? 0;
  const u = tf.randomUniform([...shape], 0, 1, "float32", s);
  const keep = tf.cast(tf.greaterEqual(u, scalarOf(tf, rate, "float32")), "float32");
  return tf.mul(keep, scalarOf(tf, 1 / (1 - rate), "float32"));
}

/**
 * Fused lowerings of the composite ops (`softmax`, `logSoftmax`, `layerNorm`, `gelu`,
 * `attention`, `crossEntropy`, `linearCrossEntropy`) and `dropoutMask`.
 *
 * @example
 * ```ts
 * const y = NN_KERNELS.softmax(tf, node, [x]);
 * ```
 */
export const NN_KERNELS = {
  softmax: (tf, n, [x]) => alongAxis(tf, x!, (n.attrs as OpAttrs["softmax"]).axis, (t) => tf.softmax(t)),
  logSoftmax: (tf, n, [x]) =>
    alongAxis(tf, x!, (n.attrs as OpAttrs["logSoftmax"]).axis, (t) => tf.logSoftmax(t)),
  layerNorm: (tf, n, [x, g, b]) => layerNorm(tf, x!, g!, b!, (n.attrs as OpAttrs["layerNorm"]).eps),
  gelu: (tf, n, [x]) => gelu(tf, x!, (n.attrs as OpAttrs["gelu"]).approximate),
  attention: (tf, n, [q, k, v, bias]) =>
    attention(tf, q!, k!, v!, bias!, (n.attrs as OpAttrs["attention"]).scale),
  crossEntropy: (tf, n, [logits, labels]) =>
    crossEntropy(tf, logits!, labels!, (n.attrs as OpAttrs["crossEntropy"]).ignoreIndex),
  linearCrossEntropy: (tf, n, [hidden, weight, labels]) =>
    linearCrossEntropy(tf, hidden!, weight!, labels!, n.attrs as OpAttrs["linearCrossEntropy"]),
  dropoutMask: (tf, n, [seed]) => dropoutMask(tf, n.shape, seed!, (n.attrs as OpAttrs["dropoutMask"]).rate),
} satisfies Record<string, Kernel>;
