import type { OpAttrs } from "@tunekit/core/ir";
import { attrInt, ONNX_DTYPE, rawBytes } from "./onnx-builder.js";
import { castTo, filled, type LowerContext, type LowerRules } from "./lower-context.js";
import { lowerDropoutMask } from "./lower-dropout.js";

const binary =
  (opType: string) =>
  (c: LowerContext): string =>
    c.b.node(opType, c.ins);

/**
 * Comparisons: ONNX has `Less`/`Greater`/`LessOrEqual`/`GreaterOrEqual` for numbers only,
 * so bool operands are compared as int32 (false < true, as in the IR).
 */
const comparison =
  (opType: string) =>
  (c: LowerContext): string => {
    const ins =
      opType !== "Equal" && c.inNodes[0]!.dtype === "bool"
        ? c.ins.map((v) => castTo(c.b, v, "int32"))
        : c.ins;
    return c.b.node(opType, ins);
  };

const unary =
  (opType: string) =>
  (c: LowerContext): string =>
    c.b.node(opType, c.ins);

/**
 * int32 division truncating toward zero, like the IR: ONNX `Div` truncates too, but a zero
 * divisor (IR: result 0) or `INT32_MIN / -1` would trap in the C++ kernel, so those divisors
 * are replaced by 1 and the results patched (`x / -1` is the wrapping negation).
 */
function intDiv(c: LowerContext): string {
  const { b } = c;
  const [x, y] = c.ins as [string, string];
  const isZero = b.node("Equal", [y, b.scalar("int32", 0)]);
  const isMinusOne = b.node("Equal", [y, b.scalar("int32", -1)]);
  const safe = b.node("Where", [b.node("Or", [isZero, isMinusOne]), b.scalar("int32", 1), y]);
  const q = b.node("Div", [x, safe]);
  const negated = b.node("Neg", [x]);
  return b.node("Where", [isZero, b.scalar("int32", 0), b.node("Where", [isMinusOne, negated, q])]);
}

/**
 * int32 power: ONNX `Pow` goes through floating point, so negative exponents are patched to
 * the IR's truncated results (1 for base 1, ±1 for base -1, else 0).
 */
function intPow(c: LowerContext): string {
  const { b } = c;
  const [x, e] = c.ins as [string, string];
  const p = b.node("Pow", [x, e]);
  const negExp = b.node("Less", [e, b.scalar("int32", 0)]);
  const odd = b.node("Equal", [b.node("Mod", [e, b.scalar("int32", 2)]), b.scalar("int32", 1)]);
  // x^-n: 1 if x == 1; x == -1 → 1 for even n, -1 for odd; else 0 (Mod with fmod=0 is floor mod).
  const minusOne = b.node("Where", [odd, b.scalar("int32", -1), b.scalar("int32", 1)]);
  const onBase = b.node("Where", [
    b.node("Equal", [x, b.scalar("int32", 1)]),
    b.scalar("int32", 1),
    b.node("Where", [b.node("Equal", [x, b.scalar("int32", -1)]), minusOne, b.scalar("int32", 0)]),
  ]);
  return b.node("Where", [negExp, onBase, p]);
}

/** Reductions take their axes as an int64 input (opset 18); no axes reduces nothing. */
const reduction =
  (opType: string) =>
  (c: LowerContext<"sum" | "mean" | "max">): string => {
    const { axes, keepDims } = c.node.attrs as OpAttrs["sum"];
    if (axes.length === 0) return c.b.node("Identity", c.ins);
    // The mean over an empty axis is NaN in the IR; ReduceMean gives 0.
    const count = axes.reduce((n, a) => n * c.inNodes[0]!.shape[a]!, 1);
    if (opType === "ReduceMean" && count === 0) return filled(c.b, "float32", c.node.shape, Number.NaN);
    return c.b.node(opType, [c.ins[0]!, c.b.int64s(axes)], [attrInt("keepdims", keepDims ? 1 : 0)]);
  };

/**
 * Lowering of leaves, elementwise ops, casts and reductions.
 *
 * - arithmetic: `Add`, `Sub`, `Mul`, `Div`, `Pow`, `Max`, `Min` (int32 `Div`/`Pow` guarded: see
 *   `intDiv`, `intPow`)
 * - comparisons: `Equal`, `Less`, `Greater`, `LessOrEqual`, `GreaterOrEqual`
 * - unary: `Neg`, `Exp`, `Log`, `Sqrt`, `Tanh`, `Erf`, `Abs`, `Sign`
 * - `where` → `Where` (bool branches go through int32: ORT has no bool `Where` kernel)
 * - `cast` → `Cast`; `fill` → scalar initializer or `ConstantOfShape`
 * - `constant` → initializer; `dropoutMask`: see `lowerDropoutMask`
 * - `sum`/`mean`/`max` → `ReduceSum`/`ReduceMean`/`ReduceMax` (axes input, opset 18)
 *
 * @example
 * ```ts
 * const name = ELEMENTWISE_RULES.add!(ctx);
 * ```
 */
export const ELEMENTWISE_RULES: LowerRules = {
  constant: (c) => {
    const { value } = c.node.attrs;
    return c.b.initializer(ONNX_DTYPE[value.dtype], value.shape, rawBytes(value.data));
  },
  fill: (c) => filled(c.b, c.node.dtype, c.node.shape, c.node.attrs.value),
  dropoutMask: lowerDropoutMask,
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: (c) => (c.node.dtype === "int32" ? intDiv(c) : c.b.node("Div", c.ins)),
  pow: (c) => (c.node.dtype === "int32" ? intPow(c) : c.b.node("Pow", c.ins)),
  maximum: binary("Max"),
  minimum: binary("Min"),
  equal: comparison("Equal"),
  less: comparison("Less"),
  greater: comparison("Greater"),
  lessEqual: comparison("LessOrEqual"),
  greaterEqual: comparison("GreaterOrEqual"),
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  tanh: unary("Tanh"),
  erf: unary("Erf"),
  abs: unary("Abs"),
  sign: unary("Sign"),
  where: (c) => {
    if (c.node.dtype !== "bool") return c.b.node("Where", c.ins);
    const [cond, a, b] = c.ins as [string, string, string];
    const picked = c.b.node("Where", [cond, castTo(c.b, a, "int32"), castTo(c.b, b, "int32")]);
    return castTo(c.b, picked, "bool");
  },
  cast: (c) => castTo(c.b, c.ins[0]!, c.node.attrs.to),
  sum: reduction("ReduceSum"),
  mean: reduction("ReduceMean"),
  max: reduction("ReduceMax"),
};
