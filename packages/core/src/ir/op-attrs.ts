import type { DType, HostTensor } from "../tensor/host-tensor.js";

/**
 * Attributes of every op in the graph IR, keyed by op name. Shapes are static per trace;
 * every node produces exactly one value.
 *
 * Broadcasting: binary elementwise ops (`add` … `greaterEqual`) follow NumPy/ONNX
 * broadcasting (align trailing dimensions, a size-1 dimension stretches). Both inputs must
 * have the same dtype (use `cast`); nothing is promoted implicitly.
 *
 * int32 arithmetic behaves like C int32: `add`/`sub`/`mul`/`sum` wrap modulo 2^32, `div`
 * truncates toward zero (division by zero is unspecified; the reference gives 0), `pow` with
 * a negative exponent truncates (0 unless the base is ±1). `maximum`/`minimum`/`max`
 * propagate NaN. Comparisons with NaN are false.
 *
 * @example
 * ```ts
 * const a: OpAttrs["transpose"] = { perm: [1, 0] };
 * ```
 */
export interface OpAttrs {
  // ---- leaves
  /** A value fed at run time under `name`. */
  input: { name: string };
  /** A model parameter, fed at run time or bound as a constant at compile time. */
  param: { name: string };
  /** A literal tensor embedded in the graph. */
  constant: { value: HostTensor };
  /** A tensor of the node's shape and dtype filled with `value`. */
  fill: { value: number };
  /**
   * Inputs: `seed` (int32 scalar). A float32 mask of the node's shape whose elements are 0
   * with probability `rate` and `1 / (1 - rate)` otherwise: dropout's scaled keep-mask.
   * Deterministic for a given seed on a given backend; backends need not agree. (The
   * reference draws mulberry32(seed) once per element in row-major order: 0 when the draw
   * is < rate.)
   */
  dropoutMask: { rate: number };
  // ---- elementwise binary (broadcasting)
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  pow: Record<string, never>;
  maximum: Record<string, never>;
  minimum: Record<string, never>;
  equal: Record<string, never>;
  less: Record<string, never>;
  greater: Record<string, never>;
  lessEqual: Record<string, never>;
  greaterEqual: Record<string, never>;
  // ---- elementwise unary
  neg: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sqrt: Record<string, never>;
  tanh: Record<string, never>;
  erf: Record<string, never>;
  abs: Record<string, never>;
  sign: Record<string, never>;
  /** `where(cond: bool, a, b)`, broadcasting all three. */
  where: Record<string, never>;
  /** float32 -> int32 truncates toward zero; bool -> 0/1; anything -> bool is `x != 0`. */
  cast: { to: DType };
  // ---- reductions (axes normalised to non-negative, sorted, unique; over an empty axis:
  // sum 0, mean NaN, max -Infinity (int32: -2^31))
  sum: { axes: number[]; keepDims: boolean };
  mean: { axes: number[]; keepDims: boolean };
  max: { axes: number[]; keepDims: boolean };
  // ---- layout
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcastTo: { shape: number[] };
  slice: { begin: number[]; size: number[] };
  /** Zero padding: `before[i]` and `after[i]` elements on each side of axis i. */
  pad: { before: number[]; after: number[] };
  concat: { axis: number };
  // ---- linear algebra and indexing
  /**
   * Batched matrix product of `a [..., M, K]` and `b [..., K, N]` (after the optional
   * transposes of the last two axes); batch axes broadcast. Both inputs have rank >= 2.
   */
  matmul: { transposeA: boolean; transposeB: boolean };
  /**
   * `gather(params [N, ...rest], indices int32 [...idx])` along axis 0 -> `[...idx, ...rest]`.
   * Indices must lie in `[0, N)` (negative indices are not wrapped); out-of-range indices are
   * a run-time error on the reference backend (other backends may not check).
   */
  gather: Record<string, never>;
  /**
   * `scatterAdd(indices int32 [...idx], updates [...idx, ...rest])` -> zeros `shape`
   * (`[N, ...rest]`) with each update row added at its index along axis 0 (duplicates sum).
   * The VJP partner of `gather`. Indices must lie in `[0, N)` (same rule as `gather`).
   */
  scatterAdd: { shape: number[] };
  /** `oneHot(indices int32 [...])` -> float32 `[..., depth]`; out-of-range indices give a zero row. */
  oneHot: { depth: number };
  // ---- composites (decomposition + own VJP in core, optional fused lowering in backends)
  softmax: { axis: number };
  logSoftmax: { axis: number };
  /** `layerNorm(x, gamma, beta)` over the last axis (biased variance, like PyTorch). */
  layerNorm: { eps: number };
  /** GELU, erf form `x * 0.5 * (1 + erf(x / sqrt 2))` (`approximate: "tanh"` for the tanh form). */
  gelu: { approximate: "none" | "tanh" };
  /**
   * Scaled dot-product attention: `softmax(q kᵀ · scale + bias) v` for `q [B, H, Sq, D]`,
   * `k, v [B, H, Sk, D]`, and an additive float32 `bias` broadcastable to `[B, H, Sq, Sk]`
   * (the padding mask: 0 to keep, a large negative number to drop).
   */
  attention: { scale: number };
  /**
   * `crossEntropy(logits [N, C], labels int32 [N])` -> scalar mean negative log-likelihood
   * over rows whose label is not `ignoreIndex` (0 when every row is ignored). Other labels
   * must lie in `[0, C)`; anything else is unspecified (the reference backend throws).
   */
  crossEntropy: { ignoreIndex: number };
  /**
   * `linearCrossEntropy(hidden [N, H], weight [V, H], labels int32 [N])` -> the scalar
   * `crossEntropy(hidden · weightᵀ, labels)`, computed `chunkRows` rows at a time so that the
   * `[N, V]` logits never exist whole (in the forward pass nor in its gradient).
   */
  linearCrossEntropy: { ignoreIndex: number; chunkRows: number };
}

/**
 * Name of an op in the graph IR.
 *
 * @example
 * ```ts
 * const op: OpName = "matmul";
 * ```
 */
export type OpName = keyof OpAttrs;

/** Binary elementwise ops with NumPy broadcasting whose result has the input dtype. */
export const ARITHMETIC_OPS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as const;
/** Binary elementwise comparisons; the result is `bool`. */
export const COMPARISON_OPS = ["equal", "less", "greater", "lessEqual", "greaterEqual"] as const;
/** Unary elementwise float ops. */
export const UNARY_OPS = ["neg", "exp", "log", "sqrt", "tanh", "erf", "abs", "sign"] as const;
/** Reductions over `axes`. */
export const REDUCTION_OPS = ["sum", "mean", "max"] as const;
/** Ops that have a decomposition into primitives and a VJP of their own. @example `COMPOSITE_OPS.includes("softmax"); // true` */
export const COMPOSITE_OPS = [
  "softmax",
  "logSoftmax",
  "layerNorm",
  "gelu",
  "attention",
  "crossEntropy",
  "linearCrossEntropy",
] as const;

/**
 * Every op of the IR, in one list (used by tests to check coverage: conformance, VJPs).
 *
 * @example
 * ```ts
 * ALL_OPS.includes("gather"); // true
 * ```
 */
export const ALL_OPS: readonly OpName[] = [
  "input",
  "param",
  "constant",
  "fill",
  "dropoutMask",
  ...ARITHMETIC_OPS,
  ...COMPARISON_OPS,
  ...UNARY_OPS,
  "where",
  "cast",
  ...REDUCTION_OPS,
  "reshape",
  "transpose",
  "broadcastTo",
  "slice",
  "pad",
  "concat",
  "matmul",
  "gather",
  "scatterAdd",
  "oneHot",
  ...COMPOSITE_OPS,
];
