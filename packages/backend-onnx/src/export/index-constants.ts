import type { DType, HostTensor } from "@tunekit/core";
import { attrInt, attrTensor, ONNX_DTYPE, type OnnxGraphBuilder, rawBytes } from "../onnx-builder.js";
import type { DimBuilder } from "./dim-builder.js";
import { isConstDim, type SymDim } from "./symbolic-dims.js";

/**
 * A constant whose shape depends on the input size, read as a function of its indices so the
 * export can build it at run time: one value everywhere (`uniform`), `a` where the comparison
 * of the last two indices holds and `b` elsewhere (`triangle`: causal masks, the
 * upper-triangular ones of a running count), or `start + step · index` along one axis
 * (`arange`: position ids).
 *
 * @example
 * ```ts
 * const upper: IndexPattern = { kind: "triangle", cmp: "le", a: 1, b: 0 }; // [i <= j]
 * ```
 */
export type IndexPattern =
  | { readonly kind: "uniform"; readonly value: number }
  | {
      readonly kind: "triangle";
      readonly cmp: "le" | "lt" | "ge" | "gt" | "eq";
      readonly a: number;
      readonly b: number;
    }
  | { readonly kind: "arange"; readonly axis: number; readonly start: number; readonly step: number };

const CMP: Readonly<Record<"le" | "lt" | "ge" | "gt" | "eq", (i: number, j: number) => boolean>> = {
  le: (i, j) => i <= j,
  lt: (i, j) => i < j,
  ge: (i, j) => i >= j,
  gt: (i, j) => i > j,
  eq: (i, j) => i === j,
};

/** Whether `t` holds `f(index)` at every element (row-major). */
function holds(t: HostTensor, f: (index: readonly number[]) => number): boolean {
  const shape = t.shape;
  const index = shape.map(() => 0);
  for (let k = 0; k < t.data.length; k++) {
    if (!Object.is(t.data[k], f(index))) return false;
    for (let a = shape.length - 1; a >= 0; a--) {
      index[a]!++;
      if (index[a]! < shape[a]!) break;
      index[a] = 0;
    }
  }
  return true;
}

function patternOf(t: HostTensor): IndexPattern[] {
  const found: IndexPattern[] = [];
  const d = t.data;
  if (d.length === 0) return found;
  if (holds(t, () => d[0]!)) found.push({ kind: "uniform", value: d[0]! });
  const rank = t.shape.length;
  const n = t.shape[rank - 1]!;
  if (rank >= 2 && n >= 2 && t.shape[rank - 2] === n) {
    const at = (i: number, j: number) => d[i * n + j]!;
    const probes = { le: [at(0, 0), at(1, 0)], lt: [at(0, 1), at(0, 0)], ge: [at(0, 0), at(0, 1)] };
    const cases: ["le" | "lt" | "ge" | "gt" | "eq", number, number][] = [
      ["le", probes.le[0]!, probes.le[1]!],
      ["lt", probes.lt[0]!, probes.lt[1]!],
      ["ge", probes.ge[0]!, probes.ge[1]!],
      ["gt", at(1, 0), at(0, 0)],
      ["eq", at(0, 0), at(0, 1)],
    ];
    for (const [cmp, a, b] of cases) {
      if (holds(t, (ix) => (CMP[cmp](ix[rank - 2]!, ix[rank - 1]!) ? a : b)))
        found.push({ kind: "triangle", cmp, a, b });
    }
  }
  t.shape.forEach((size, axis) => {
    if (size < 2 || t.dtype === "bool") return;
    const stride = t.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const start = d[0]!;
    const step = d[stride]! - start;
    if (holds(t, (ix) => start + step * ix[axis]!)) found.push({ kind: "arange", axis, start, step });
  });
  return found;
}

/**
 * The {@link IndexPattern} that every value of a size-dependent constant (one per traced
 * size) follows, or `undefined` when none does.
 *
 * @example
 * ```ts
 * indexPattern([upper5, upper7]); // { kind: "triangle", cmp: "le", a: 1, b: 0 }
 * ```
 */
export function indexPattern(values: readonly HostTensor[]): IndexPattern | undefined {
  const [first, ...rest] = values.map(patternOf);
  const key = (p: IndexPattern) => JSON.stringify(p);
  return first?.find((p) => rest.every((ps) => ps.some((q) => key(q) === key(p))));
}

function scalarOf(b: OnnxGraphBuilder, dtype: DType, value: number): string {
  return b.scalar(dtype, value);
}

/**
 * Emits a constant of symbolic `shape` that follows `pattern`: `ConstantOfShape` (uniform),
 * `Where` of a comparison of two `Range`s (triangle), or a `Range` reshaped onto its axis;
 * then `Expand`ed to the full shape.
 *
 * @example
 * ```ts
 * const mask = emitIndexConstant(b, dims, { kind: "triangle", cmp: "le", a: 1, b: 0 }, [SYM_SEQ, SYM_SEQ], "float32");
 * ```
 */
export function emitIndexConstant(
  b: OnnxGraphBuilder,
  dims: DimBuilder,
  pattern: IndexPattern,
  shape: readonly SymDim[],
  dtype: DType,
): string {
  const full = dims.list(shape);
  if (pattern.kind === "uniform") {
    const one =
      dtype === "float32"
        ? Float32Array.of(pattern.value)
        : dtype === "int32"
          ? Int32Array.of(pattern.value)
          : Uint8Array.of(pattern.value ? 1 : 0);
    const t = { name: "value", dataType: ONNX_DTYPE[dtype], dims: [1], raw: rawBytes(one) };
    return b.node("ConstantOfShape", [full], [attrTensor("value", t)]);
  }
  const rank = shape.length;
  const range = (d: SymDim): string =>
    b.node("Range", [dims.scalar([0, 0, 0, 0, 0, 0]), dims.scalar(d), dims.scalar([1, 0, 0, 0, 0, 0])]);
  let core: string;
  if (pattern.kind === "triangle") {
    const r = range(shape[rank - 1]!);
    const rows = b.node("Unsqueeze", [r, b.int64s([1])]);
    const cols = b.node("Unsqueeze", [r, b.int64s([0])]);
    const op = { le: "LessOrEqual", lt: "Less", ge: "GreaterOrEqual", gt: "Greater", eq: "Equal" }[
      pattern.cmp
    ];
    const cond = b.node(op, [rows, cols]);
    const picked =
      dtype === "bool"
        ? b.node(
            "Cast",
            [b.node("Where", [cond, b.scalar("int32", pattern.a), b.scalar("int32", pattern.b)])],
            [attrInt("to", ONNX_DTYPE.bool)],
          )
        : b.node("Where", [cond, scalarOf(b, dtype, pattern.a), scalarOf(b, dtype, pattern.b)]);
    core = picked; // [n, n], broadcasts over leading axes
  } else {
    const idx = b.node("Cast", [range(shape[pattern.axis]!)], [attrInt("to", ONNX_DTYPE[dtype])]);
    const scaled = b.node("Add", [
      b.node("Mul", [idx, scalarOf(b, dtype, pattern.step)]),
      scalarOf(b, dtype, pattern.start),
    ]);
    const at = shape.map((_, a) => (a === pattern.axis ? -1 : 1));
    core = b.node("Reshape", [scaled, b.int64s(at)]);
  }
  return shape.every(isConstDim) ? core : b.node("Expand", [core, full]);
}
