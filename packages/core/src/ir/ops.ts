import { TunekitError } from "../errors.js";
import type { DType } from "../tensor/host-tensor.js";
import { hostTensor, sizeOf } from "../tensor/host-tensor.js";
import type { Tensor } from "./graph.js";
import type { OpName } from "./op-attrs.js";
import { normalizeAxis } from "./shape-inference.js";

/** A tensor or a plain number (a scalar constant of the other operand's dtype). @example `const half: TensorOrScalar = 0.5; mul(x, half)` */
export type TensorOrScalar = Tensor | number;

function scalarLike(t: Tensor, v: number): Tensor {
  const dtype = t.dtype === "bool" ? "float32" : t.dtype;
  return t.graph.addNode("fill", [], { value: v }, { shape: [], dtype });
}

function binary(op: OpName, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === "number" && typeof b === "number") {
    throw new TunekitError("INVALID_ARGUMENT", `${op}: at least one operand must be a Tensor`);
  }
  const ta = typeof a === "number" ? scalarLike(b as Tensor, a) : a;
  const tb = typeof b === "number" ? scalarLike(ta, b) : b;
  return ta.graph.addNode(op, [ta, tb], {} as never);
}

/** Elementwise `a + b` with broadcasting. @example `add(x, 1)` */
export const add = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("add", a, b);
/** Elementwise `a - b` with broadcasting. @example `sub(x, mean(x))` */
export const sub = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("sub", a, b);
/** Elementwise `a * b` with broadcasting. @example `mul(x, 0.5)` */
export const mul = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("mul", a, b);
/** Elementwise `a / b` with broadcasting. @example `div(x, 8)` */
export const div = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("div", a, b);
/** Elementwise `a ** b` with broadcasting. @example `pow(x, 2)` */
export const pow = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("pow", a, b);
/** Elementwise maximum (gradient goes to `a` on ties). @example `maximum(x, 0)` (ReLU) */
export const maximum = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("maximum", a, b);
/** Elementwise minimum (gradient goes to `a` on ties). @example `minimum(x, 1)` */
export const minimum = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("minimum", a, b);
/** Elementwise `a == b` -> bool. @example `equal(labels, -100)` */
export const equal = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("equal", a, b);
/** Elementwise `a < b` -> bool. @example `less(x, 0)` */
export const less = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("less", a, b);
/** Elementwise `a > b` -> bool. @example `greater(x, 0)` */
export const greater = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("greater", a, b);
/** Elementwise `a <= b` -> bool. @example `lessEqual(x, 0)` */
export const lessEqual = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("lessEqual", a, b);
/** Elementwise `a >= b` -> bool. @example `greaterEqual(x, 0)` */
export const greaterEqual = (a: TensorOrScalar, b: TensorOrScalar): Tensor => binary("greaterEqual", a, b);

const unary =
  (op: OpName) =>
  (x: Tensor): Tensor =>
    x.graph.addNode(op, [x], {} as never);
/** Elementwise negation. @example `neg(x)` */
export const neg = unary("neg");
/** Elementwise `e^x`. @example `exp(x)` */
export const exp = unary("exp");
/** Elementwise natural logarithm. @example `log(p)` */
export const log = unary("log");
/** Elementwise square root. @example `sqrt(v)` */
export const sqrt = unary("sqrt");
/** Elementwise hyperbolic tangent. @example `tanh(x)` */
export const tanh = unary("tanh");
/** Elementwise Gauss error function. @example `erf(x)` */
export const erf = unary("erf");
/** Elementwise absolute value. @example `abs(x)` */
export const abs = unary("abs");
/** Elementwise sign (-1, 0 or 1). @example `sign(x)` */
export const sign = unary("sign");

/**
 * `cond ? a : b` elementwise with broadcasting; `cond` is bool.
 *
 * @example
 * ```ts
 * const relu = where(greater(x, 0), x, 0);
 * ```
 */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const ref = typeof a === "number" ? (typeof b === "number" ? undefined : b) : a;
  const ta =
    typeof a === "number"
      ? ref
        ? scalarLike(ref, a)
        : cond.graph.addNode("fill", [], { value: a }, { shape: [], dtype: "float32" })
      : a;
  const tb = typeof b === "number" ? scalarLike(ta, b) : b;
  return cond.graph.addNode("where", [cond, ta, tb], {});
}

/**
 * Converts to another dtype (float -> int truncates toward zero; bool -> 0/1).
 *
 * @example
 * ```ts
 * const m = cast(attentionMask, "float32");
 * ```
 */
export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.addNode("cast", [x], { to });
}

function normAxes(x: Tensor, axes: number | readonly number[] | undefined, op: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === "number" ? [axes] : axes;
  return [...new Set(list.map((a) => normalizeAxis(a, x.rank, op)))].sort((p, q) => p - q);
}

/** Sum over `axes` (all when omitted; negative axes allowed). @example `sum(x, -1, true)` */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return x.graph.addNode("sum", [x], { axes: normAxes(x, axes, "sum"), keepDims });
}
/** Mean over `axes` (all when omitted). @example `mean(x, -1, true)` */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return x.graph.addNode("mean", [x], { axes: normAxes(x, axes, "mean"), keepDims });
}
/** Maximum over `axes` (all when omitted). @example `max(logits, -1, true)` */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return x.graph.addNode("max", [x], { axes: normAxes(x, axes, "max"), keepDims });
}

/**
 * Reshape to `shape`; one entry may be `-1` (inferred at trace time).
 *
 * @example
 * ```ts
 * reshape(x, [batch, -1]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const holes = shape.filter((d) => d === -1).length;
  let resolved = [...shape];
  if (holes > 1)
    throw new TunekitError("INVALID_ARGUMENT", `reshape: at most one -1 allowed, got [${shape.join(", ")}]`);
  if (holes === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    const total = sizeOf(x.shape);
    if (known === 0 || total % known !== 0) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `reshape: cannot reshape [${x.shape.join(", ")}] into [${shape.join(", ")}]`,
      );
    }
    resolved = shape.map((d) => (d === -1 ? total / known : d));
  }
  if (resolved.length === x.rank && resolved.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode("reshape", [x], { shape: resolved });
}

/** Permute axes (reverses them when `perm` is omitted). @example `transpose(x, [0, 2, 1, 3])` */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((v, i) => v === i)) return x;
  return x.graph.addNode("transpose", [x], { perm: p });
}

/** Broadcast to `shape` (NumPy rules). @example `broadcastTo(bias, [b, s, h])` */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length === x.rank && shape.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode("broadcastTo", [x], { shape: [...shape] });
}

/**
 * Static slice: `size[i] = -1` takes everything from `begin[i]` to the end.
 *
 * @example
 * ```ts
 * const cls = slice(hidden, [0, 0, 0], [-1, 1, -1]); // [B, 1, H]
 * ```
 */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const s = size.map((d, i) => (d === -1 ? (x.shape[i] ?? 0) - (begin[i] ?? 0) : d));
  return x.graph.addNode("slice", [x], { begin: [...begin], size: s });
}

/** Zero-pad each axis. @example `pad(x, [0, 1], [0, 2])` */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  return x.graph.addNode("pad", [x], { before: [...before], after: [...after] });
}

/** Concatenate along `axis` (negative allowed). @example `concat([a, b], -1)` */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (!first) throw new TunekitError("INVALID_ARGUMENT", "concat: needs at least one tensor");
  if (xs.length === 1) return first;
  return first.graph.addNode("concat", xs, { axis: normalizeAxis(axis, first.rank, "concat") });
}

/**
 * Batched matrix product; `transposeA/B` transpose the last two axes of an operand.
 *
 * @example
 * ```ts
 * const y = matmul(x, weight, { transposeB: true }); // x [B, S, in] · weightᵀ [in, out]
 * ```
 */
export function matmul(
  a: Tensor,
  b: Tensor,
  opts: { transposeA?: boolean; transposeB?: boolean } = {},
): Tensor {
  return a.graph.addNode("matmul", [a, b], {
    transposeA: opts.transposeA ?? false,
    transposeB: opts.transposeB ?? false,
  });
}

/** Rows of `params` at `indices` (axis 0). @example `gather(wordEmbeddings, inputIds)` */
export function gather(params: Tensor, indices: Tensor): Tensor {
  return params.graph.addNode("gather", [params, indices], {});
}

/**
 * Zeros of `shape` with each row of `updates` added at its index (duplicates sum).
 *
 * @example
 * ```ts
 * const dEmb = scatterAdd(inputIds, dRows, [vocab, hidden]);
 * ```
 */
export function scatterAdd(indices: Tensor, updates: Tensor, shape: readonly number[]): Tensor {
  return indices.graph.addNode("scatterAdd", [indices, updates], { shape: [...shape] });
}

/** One-hot float32 encoding; out-of-range indices give a zero row. @example `oneHot(labels, 3)` */
export function oneHot(indices: Tensor, depth: number): Tensor {
  return indices.graph.addNode("oneHot", [indices], { depth });
}

/**
 * A constant tensor filled with `value`.
 *
 * @example
 * ```ts
 * const zeros = full(x.graph, [2, 3], 0);
 * ```
 */
export function full(
  graph: Tensor["graph"],
  shape: readonly number[],
  value: number,
  dtype: DType = "float32",
): Tensor {
  return graph.addNode("fill", [], { value }, { shape, dtype });
}

/**
 * A literal constant from numbers or a typed array.
 *
 * @example
 * ```ts
 * const positions = constant(g, "int32", [1, 4], [0, 1, 2, 3]);
 * ```
 */
export function constant(
  graph: Tensor["graph"],
  dtype: DType,
  shape: readonly number[],
  data: readonly number[] | Float32Array | Int32Array | Uint8Array,
): Tensor {
  const value = hostTensor(dtype, shape, data as never);
  return graph.addNode("constant", [], { value });
}

/**
 * Dropout's scaled keep-mask (0 with probability `rate`, `1/(1-rate)` otherwise).
 *
 * @example
 * ```ts
 * const y = mul(x, dropoutMask(seed, x.shape, 0.1));
 * ```
 */
export function dropoutMask(seed: Tensor, shape: readonly number[], rate: number): Tensor {
  return seed.graph.addNode("dropoutMask", [seed], { rate }, { shape, dtype: "float32" });
}
