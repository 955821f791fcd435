import type { OpAttrs } from "@tunekit/core/ir";
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
 * `maximum` / `minimum` propagating NaN from either side (the IR's rule). The wasm kernels
 * return the other operand when only `b` is NaN, so NaNs of `b` are put back explicitly.
 */
function extremum(tf: Tf, op: "maximum" | "minimum", a: TfTensor, b: TfTensor): TfTensor {
  const r = tf[op](a, b);
  if (a.dtype !== "float32" || tf.getBackend() !== "wasm") return r;
  return tf.where(tf.isNaN(b), b, r);
}

/**
 * int32 `pow` with the IR's C-like rule for negative exponents: the result truncates to 0
 * unless the base is ±1 (`base^|e|` is then the exact answer). TF.js gives `-2^31` for
 * `0^-1` on wasm.
 */
function power(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  if (a.dtype !== "int32") return tf.pow(a, b);
  const zero = scalarOf(tf, 0, "int32");
  const unit = tf.equal(tf.abs(a), scalarOf(tf, 1, "int32"));
  const negative = tf.less(b, zero);
  const reciprocal = tf.where(unit, tf.pow(a, tf.abs(b)), zero);
  return tf.where(negative, reciprocal, tf.pow(a, tf.maximum(b, zero)));
}

/** `sign`, with NaN -> NaN (TF.js gives 0). */
function signOf(tf: Tf, x: TfTensor): TfTensor {
  const s = tf.sign(x);
  return x.dtype === "float32" ? tf.where(tf.isNaN(x), x, s) : s;
}

/** `fill`: int32 values truncate like C, bool values are `value != 0`. */
function fill(tf: Tf, shape: readonly number[], value: number, dtype: OpAttrs["cast"]["to"]): TfTensor {
  const v = dtype === "int32" ? value | 0 : dtype === "bool" ? Number(value !== 0) : value;
  return tf.fill([...shape], v, dtype);
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
  pow: (tf, _n, [a, b]) => power(tf, a!, b!),
  maximum: (tf, _n, [a, b]) => extremum(tf, "maximum", a!, b!),
  minimum: (tf, _n, [a, b]) => extremum(tf, "minimum", a!, b!),
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
  sign: (tf, _n, [x]) => signOf(tf, x!),
  where: (tf, _n, [c, a, b]) => tf.where(c!, a!, b!),
  cast: (tf, n, [x]) => castTo(tf, x!, (n.attrs as OpAttrs["cast"]).to),
  fill: (tf, n) => fill(tf, n.shape, (n.attrs as OpAttrs["fill"]).value, n.dtype),
} satisfies Record<string, Kernel>;
