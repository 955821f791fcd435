import { TunekitError } from "../errors.js";
import type { DType } from "../tensor/host-tensor.js";
import { sizeOf } from "../tensor/host-tensor.js";
import {
  ARITHMETIC_OPS,
  COMPARISON_OPS,
  type OpAttrs,
  type OpName,
  REDUCTION_OPS,
  UNARY_OPS,
} from "./op-attrs.js";

/** Shape and dtype of one value. @example `const x: ShapeDType = { shape: [2, 3], dtype: "float32" }` */
export interface ShapeDType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

function fail(op: string, inputs: readonly ShapeDType[], rule: string): never {
  const got = inputs.map((i) => `${i.dtype}${fmt(i.shape)}`).join(", ");
  throw new TunekitError("SHAPE_MISMATCH", `op ${op}: ${rule} (inputs: ${got || "none"})`, {
    details: { op, shapes: inputs.map((i) => [...i.shape]), rule },
  });
}

/**
 * NumPy broadcast of two shapes, or `undefined` when they are incompatible.
 *
 * @example
 * ```ts
 * broadcastShapes([2, 1, 3], [4, 1]); // [2, 4, 3]
 * ```
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Normalises an axis into `[0, rank)`, accepting negative axes (`-1` is the last).
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 3); // 2
 * ```
 */
export function normalizeAxis(axis: number, rank: number, op = "op"): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${op}: axis ${axis} is out of range for rank ${rank}; expected an integer in [${-rank}, ${rank - 1}]`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

function needRank(op: string, inputs: readonly ShapeDType[], i: number, min: number): void {
  if (inputs[i]!.shape.length < min) fail(op, inputs, `input ${i} must have rank >= ${min}`);
}

function needDType(op: string, inputs: readonly ShapeDType[], i: number, dtypes: readonly DType[]): void {
  if (!dtypes.includes(inputs[i]!.dtype))
    fail(op, inputs, `input ${i} must be ${dtypes.join(" or ")}, got ${inputs[i]!.dtype}`);
}

function checkArity(op: string, inputs: readonly ShapeDType[], n: number): void {
  if (inputs.length !== n) fail(op, inputs, `expects ${n} input(s), got ${inputs.length}`);
}

function isStaticShape(s: readonly number[]): boolean {
  return s.every((d) => Number.isInteger(d) && d >= 0);
}

/**
 * Shape and dtype inference for every op of the IR. Throws a `SHAPE_MISMATCH`
 * {@link TunekitError} naming the op, the shapes received and the rule broken.
 *
 * @example
 * ```ts
 * inferShape("matmul", [{ shape: [2, 3], dtype: "float32" }, { shape: [3, 4], dtype: "float32" }],
 *   { transposeA: false, transposeB: false }); // { shape: [2, 4], dtype: "float32" }
 * ```
 */
export function inferShape<K extends OpName>(
  op: K,
  inputs: readonly ShapeDType[],
  attrs: OpAttrs[K],
  hint?: ShapeDType,
): ShapeDType {
  const a = attrs as OpAttrs[OpName] & Record<string, unknown>;
  const x = inputs[0];
  if (
    (ARITHMETIC_OPS as readonly string[]).includes(op) ||
    (COMPARISON_OPS as readonly string[]).includes(op)
  ) {
    checkArity(op, inputs, 2);
    const [l, r] = inputs as [ShapeDType, ShapeDType];
    if (l.dtype !== r.dtype) fail(op, inputs, `both inputs must have the same dtype (cast one of them)`);
    if ((ARITHMETIC_OPS as readonly string[]).includes(op) && l.dtype === "bool")
      fail(op, inputs, "arithmetic on bool is not allowed (cast to float32)");
    const s = broadcastShapes(l.shape, r.shape);
    if (!s)
      fail(
        op,
        inputs,
        `shapes ${fmt(l.shape)} and ${fmt(r.shape)} do not broadcast (trailing dimensions must be equal or 1)`,
      );
    return { shape: s, dtype: (COMPARISON_OPS as readonly string[]).includes(op) ? "bool" : l.dtype };
  }
  if ((UNARY_OPS as readonly string[]).includes(op)) {
    checkArity(op, inputs, 1);
    needDType(
      op,
      inputs,
      0,
      op === "neg" || op === "abs" || op === "sign" ? ["float32", "int32"] : ["float32"],
    );
    return { shape: x!.shape, dtype: x!.dtype };
  }
  if ((REDUCTION_OPS as readonly string[]).includes(op)) {
    checkArity(op, inputs, 1);
    needDType(op, inputs, 0, op === "mean" ? ["float32"] : ["float32", "int32"]);
    const { axes, keepDims } = a as OpAttrs["sum"];
    const rank = x!.shape.length;
    const seen = new Set<number>();
    for (const ax of axes) {
      if (!Number.isInteger(ax) || ax < 0 || ax >= rank || seen.has(ax))
        fail(op, inputs, `axes [${axes.join(", ")}] must be unique, sorted and in [0, ${rank})`);
      seen.add(ax);
    }
    const shape = keepDims
      ? x!.shape.map((d, i) => (seen.has(i) ? 1 : d))
      : x!.shape.filter((_, i) => !seen.has(i));
    return { shape, dtype: x!.dtype };
  }
  switch (op) {
    case "input":
    case "param":
    case "fill":
    case "constant": {
      const src = op === "constant" ? (a as OpAttrs["constant"]).value : hint;
      if (!src) fail(op, inputs, "needs a shape and dtype");
      if (!isStaticShape(src.shape))
        fail(op, inputs, `shape ${fmt(src.shape)} must be non-negative integers`);
      return { shape: [...src.shape], dtype: src.dtype };
    }
    case "dropoutMask": {
      checkArity(op, inputs, 1);
      if (!hint || !isStaticShape(hint.shape)) fail(op, inputs, "needs a static shape");
      if (x!.dtype !== "int32" || x!.shape.length !== 0) fail(op, inputs, "the seed must be an int32 scalar");
      const { rate } = a as OpAttrs["dropoutMask"];
      if (!(rate >= 0 && rate < 1)) fail(op, inputs, `rate must be in [0, 1), got ${rate}`);
      return { shape: [...hint.shape], dtype: "float32" };
    }
    case "where": {
      checkArity(op, inputs, 3);
      needDType(op, inputs, 0, ["bool"]);
      if (inputs[1]!.dtype !== inputs[2]!.dtype)
        fail(op, inputs, "the two branches must have the same dtype");
      const s1 = broadcastShapes(inputs[0]!.shape, inputs[1]!.shape);
      const s = s1 && broadcastShapes(s1, inputs[2]!.shape);
      if (!s) fail(op, inputs, "condition and branches do not broadcast");
      return { shape: s, dtype: inputs[1]!.dtype };
    }
    case "cast":
      checkArity(op, inputs, 1);
      return { shape: x!.shape, dtype: (a as OpAttrs["cast"]).to };
    case "reshape": {
      checkArity(op, inputs, 1);
      const { shape } = a as OpAttrs["reshape"];
      if (!isStaticShape(shape))
        fail(
          op,
          inputs,
          `target shape ${fmt(shape)} must be non-negative integers (no -1: shapes are static)`,
        );
      if (sizeOf(shape) !== sizeOf(x!.shape))
        fail(
          op,
          inputs,
          `cannot reshape ${sizeOf(x!.shape)} elements into ${fmt(shape)} (${sizeOf(shape)} elements)`,
        );
      return { shape: [...shape], dtype: x!.dtype };
    }
    case "transpose": {
      checkArity(op, inputs, 1);
      const { perm } = a as OpAttrs["transpose"];
      const r = x!.shape.length;
      const ok = perm.length === r && [...perm].sort((p, q) => p - q).every((v, i) => v === i);
      if (!ok) fail(op, inputs, `perm [${perm.join(", ")}] must be a permutation of 0..${r - 1}`);
      return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
    }
    case "broadcastTo": {
      checkArity(op, inputs, 1);
      const { shape } = a as OpAttrs["broadcastTo"];
      const s = broadcastShapes(x!.shape, shape);
      if (!s || s.length !== shape.length || s.some((d, i) => d !== shape[i]))
        fail(op, inputs, `cannot broadcast to ${fmt(shape)}`);
      return { shape: [...shape], dtype: x!.dtype };
    }
    case "slice": {
      checkArity(op, inputs, 1);
      const { begin, size } = a as OpAttrs["slice"];
      const r = x!.shape.length;
      if (begin.length !== r || size.length !== r) fail(op, inputs, `begin and size need ${r} entries`);
      for (let i = 0; i < r; i++) {
        const b = begin[i]!;
        const s = size[i]!;
        if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > x!.shape[i]!) {
          fail(op, inputs, `axis ${i}: begin ${b} + size ${s} must lie within [0, ${x!.shape[i]}]`);
        }
      }
      return { shape: [...size], dtype: x!.dtype };
    }
    case "pad": {
      checkArity(op, inputs, 1);
      const { before, after } = a as OpAttrs["pad"];
      const r = x!.shape.length;
      if (before.length !== r || after.length !== r) fail(op, inputs, `before and after need ${r} entries`);
      if ([...before, ...after].some((v) => !Number.isInteger(v) || v < 0))
        fail(op, inputs, "padding must be non-negative integers");
      return { shape: x!.shape.map((d, i) => d + before[i]! + after[i]!), dtype: x!.dtype };
    }
    case "concat": {
      if (inputs.length < 1) fail(op, inputs, "needs at least one input");
      const r = x!.shape.length;
      const axis = (a as OpAttrs["concat"]).axis;
      if (!Number.isInteger(axis) || axis < 0 || axis >= r)
        fail(op, inputs, `axis ${axis} must be in [0, ${r})`);
      let total = 0;
      for (const t of inputs) {
        if (t.dtype !== x!.dtype) fail(op, inputs, "all inputs must have the same dtype");
        if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== x!.shape[i])) {
          fail(op, inputs, `all inputs must match on every axis but ${axis}`);
        }
        total += t.shape[axis]!;
      }
      return { shape: x!.shape.map((d, i) => (i === axis ? total : d)), dtype: x!.dtype };
    }
    case "matmul": {
      checkArity(op, inputs, 2);
      needRank(op, inputs, 0, 2);
      needRank(op, inputs, 1, 2);
      needDType(op, inputs, 0, ["float32"]);
      needDType(op, inputs, 1, ["float32"]);
      const { transposeA, transposeB } = a as OpAttrs["matmul"];
      const sa = inputs[0]!.shape;
      const sb = inputs[1]!.shape;
      const m = sa[sa.length - (transposeA ? 1 : 2)]!;
      const ka = sa[sa.length - (transposeA ? 2 : 1)]!;
      const kb = sb[sb.length - (transposeB ? 1 : 2)]!;
      const n = sb[sb.length - (transposeB ? 2 : 1)]!;
      if (ka !== kb)
        fail(
          op,
          inputs,
          `inner dimensions differ: ${ka} vs ${kb} (transposeA=${transposeA}, transposeB=${transposeB})`,
        );
      const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
      if (!batch) fail(op, inputs, "batch dimensions do not broadcast");
      return { shape: [...batch, m, n], dtype: "float32" };
    }
    case "gather": {
      checkArity(op, inputs, 2);
      needRank(op, inputs, 0, 1);
      needDType(op, inputs, 1, ["int32"]);
      return { shape: [...inputs[1]!.shape, ...inputs[0]!.shape.slice(1)], dtype: inputs[0]!.dtype };
    }
    case "scatterAdd": {
      checkArity(op, inputs, 2);
      needDType(op, inputs, 0, ["int32"]);
      const { shape } = a as OpAttrs["scatterAdd"];
      const expect = [...inputs[0]!.shape, ...shape.slice(1)];
      if (shape.length < 1 || !isStaticShape(shape))
        fail(op, inputs, `output shape ${fmt(shape)} must have rank >= 1`);
      const u = inputs[1]!.shape;
      if (u.length !== expect.length || u.some((d, i) => d !== expect[i]))
        fail(op, inputs, `updates must have shape ${fmt(expect)} (indices shape + output shape[1:])`);
      return { shape: [...shape], dtype: inputs[1]!.dtype };
    }
    case "oneHot": {
      checkArity(op, inputs, 1);
      needDType(op, inputs, 0, ["int32"]);
      const { depth } = a as OpAttrs["oneHot"];
      if (!Number.isInteger(depth) || depth < 1)
        fail(op, inputs, `depth must be a positive integer, got ${depth}`);
      return { shape: [...x!.shape, depth], dtype: "float32" };
    }
    case "softmax":
    case "logSoftmax": {
      checkArity(op, inputs, 1);
      needDType(op, inputs, 0, ["float32"]);
      const axis = (a as OpAttrs["softmax"]).axis;
      if (!Number.isInteger(axis) || axis < 0 || axis >= x!.shape.length)
        fail(op, inputs, `axis ${axis} must be in [0, ${x!.shape.length})`);
      return { shape: x!.shape, dtype: "float32" };
    }
    case "gelu":
      checkArity(op, inputs, 1);
      needDType(op, inputs, 0, ["float32"]);
      return { shape: x!.shape, dtype: "float32" };
    case "layerNorm": {
      checkArity(op, inputs, 3);
      needRank(op, inputs, 0, 1);
      const h = x!.shape[x!.shape.length - 1]!;
      for (const i of [1, 2]) {
        const s = inputs[i]!.shape;
        if (s.length !== 1 || s[0] !== h)
          fail(op, inputs, `gamma and beta must have shape [${h}] (the last axis of x)`);
        needDType(op, inputs, i, ["float32"]);
      }
      return { shape: x!.shape, dtype: "float32" };
    }
    case "attention": {
      checkArity(op, inputs, 4);
      const [q, k, v, bias] = inputs as [ShapeDType, ShapeDType, ShapeDType, ShapeDType];
      if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4)
        fail(op, inputs, "q, k and v must be [batch, heads, seq, headDim]");
      const [b, h, sq, d] = q.shape as [number, number, number, number];
      const sk = k.shape[2]!;
      const same = (s: readonly number[], e: readonly number[]) =>
        s.length === e.length && s.every((x1, i) => x1 === e[i]);
      if (!same(k.shape, [b, h, sk, d]) || !same(v.shape, [b, h, sk, d]))
        fail(op, inputs, `k and v must be [${b}, ${h}, Sk, ${d}] with the same Sk`);
      const bs = broadcastShapes(bias.shape, [b, h, sq, sk]);
      if (!bs || !same(bs, [b, h, sq, sk]))
        fail(op, inputs, `bias must broadcast to [${b}, ${h}, ${sq}, ${sk}]`);
      for (let i = 0; i < 4; i++) needDType(op, inputs, i, ["float32"]);
      return { shape: q.shape, dtype: "float32" };
    }
    case "crossEntropy": {
      checkArity(op, inputs, 2);
      needDType(op, inputs, 0, ["float32"]);
      needDType(op, inputs, 1, ["int32"]);
      const [l, y] = inputs as [ShapeDType, ShapeDType];
      if (l.shape.length !== 2 || y.shape.length !== 1 || y.shape[0] !== l.shape[0])
        fail(op, inputs, "logits must be [N, C] and labels [N]");
      return { shape: [], dtype: "float32" };
    }
    case "linearCrossEntropy": {
      checkArity(op, inputs, 3);
      needDType(op, inputs, 0, ["float32"]);
      needDType(op, inputs, 1, ["float32"]);
      needDType(op, inputs, 2, ["int32"]);
      const [h, w, y] = inputs as [ShapeDType, ShapeDType, ShapeDType];
      if (h.shape.length !== 2 || w.shape.length !== 2 || y.shape.length !== 1)
        fail(op, inputs, "hidden must be [N, H], weight [V, H] and labels [N]");
      if (w.shape[1] !== h.shape[1])
        fail(op, inputs, `weight must be [V, ${h.shape[1]}] to match hidden [N, ${h.shape[1]}]`);
      if (y.shape[0] !== h.shape[0])
        fail(op, inputs, `labels must be [${h.shape[0]}], one per row of hidden`);
      const { chunkRows } = attrs as OpAttrs["linearCrossEntropy"];
      if (!Number.isInteger(chunkRows) || chunkRows < 1)
        fail(op, inputs, `chunkRows must be a positive integer, got ${chunkRows}`);
      return { shape: [], dtype: "float32" };
    }
    default:
      throw new TunekitError("GRAPH_INVALID", `unknown op "${String(op)}"`);
  }
}
