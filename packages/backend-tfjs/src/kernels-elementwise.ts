import type { OpAttrs } from "@tunekit/core";
import type { Tf, TfTensor } from "./engine.js";
import { type Kernel, scalarOf } from "./kernel.js";

/**
 * `a / b`. float32 uses real division; int32 truncates toward zero like C (TensorFlow.js'
 * `div` floors int32, so the quotient is rebuilt as `sign(a)·sign(b)·floor(|a| / |b|)`).
 */
function divide(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  if (a.dtype !== "int32") return tf.div(a, b);
  const magnitude = tf.floorDiv(tf.abs(a), tf.abs(b));
  return tf.mul(tf.mul(tf.sign(a), tf.sign(b)), magnitude);
}

/**
 * `cast`. float -> int32 truncates toward zero (checked on wasm and cpu); anything -> bool is
 * `x != 0` (the wasm `Cast` kernel keeps the raw byte, e.g. 2 or 255, instead of 1).
 */
function castTo(tf: Tf, x: TfTensor, to: OpAttrs["cast"]["to"]): TfTensor {
  if (x.dtype === to) return tf.clone(x);
  if (to === "bool") return tf.notEqual(x, scalarOf(tf, 0, x.dtype as "float32" | "int32"));
  return tf.cast(x, to);
}

/**
 * Kernels for the binary elementwise ops (NumPy broadcasting, same dtype on both sides), the
 * unary ops, `where`, `cast` and `fill`.
 *
 * @example
 * ```ts
 * const y = ELEMENTWISE_KERNELS.add(tf, node, [a, b]);
 * ```
 */
export const ELEMENTWISE_KERNELS = {
  add: (tf, _n, [a, b]) => tf.add(a!, b!),
  sub: (tf, _n, [a, b]) => tf.sub(a!, b!),
  mul: (tf, _n, [a, b]) => tf.mul(a!, b!),
  div: (tf, _n, [a, b]) => divide(tf, a!, b!),
  pow: (tf, _n, [a, b]) => tf.pow(a!, b!),
  maximum: (tf, _n, [a, b]) => tf.maximum(a!, b!),
  minimum: (tf, _n, [a, b]) => tf.minimum(a!, b!),
  equal: (tf, _n, [a, b]) => tf.equal(a!, b!),
  less: (tf, _n, [a, b]) => tf.less(a!, b!),
  greater: (tf, _n, [a, b]) => tf.greater(a!, b!),
  lessEqual: (tf, _n, [a, b]) => tf.lessEqual(a!, b!),
  greaterEqual: (tf, _n, [a, b]) => tf.greaterEqual(a!, b!),
  neg: (tf, _n, [x]) => tf.neg(x!),
  exp: (tf, _n, [x]) => tf.exp(x!),
  log: (tf, _n, [x]) => tf.log(x!),
  sqrt: (tf, _n, [x]) => tf.sqrt(x!),
  tanh: (tf, _n, [x]) => tf.tanh(x!),
  erf: (tf, _n, [x]) => tf.erf(x!),
  abs: (tf, _n, [x]) => tf.abs(x!),
  sign: (tf, _n, [x]) => tf.sign(x!),
  where: (tf, _n, [c, a, b]) => tf.where(c!, a!, b!),
  cast: (tf, n, [x]) => castTo(tf, x!, (n.attrs as OpAttrs["cast"]).to),
  fill: (tf, n) => tf.fill([...n.shape], (n.attrs as OpAttrs["fill"]).value, n.dtype),
} satisfies Record<string, Kernel>;
