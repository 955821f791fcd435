import type { DType } from "@tunekit/core";
import {
  attrInt,
  attrInts,
  attrString,
  ONNX_DTYPE,
  type OnnxGraphBuilder,
  rawBytes,
} from "./onnx-builder.js";
import { castTo, filled, type LowerRules } from "./lower-context.js";
import { OnnxDataType } from "./onnx-model.js";

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Zeros of `shape` computed from the (run-time) indices, so onnxruntime cannot constant-fold
 * them into an initializer: a folded `ConstantOfShape` of an embedding-sized gradient is a
 * zero tensor stored in the session (31 MB for BERT's word embeddings) that `ScatterND`
 * must then copy instead of writing in place. `i - i` of one index is +0 (never -0).
 */
function runtimeZeros(
  b: OnnxGraphBuilder,
  indices: string,
  indexShape: readonly number[],
  dtype: DType,
  shape: readonly number[],
): string {
  if (indexShape.some((d) => d === 0)) return filled(b, dtype, shape, 0);
  const first = b.node("Slice", [b.node("Reshape", [indices, b.int64s([-1])]), b.int64s([0]), b.int64s([1])]);
  const zero = b.node("Cast", [b.node("Sub", [first, first])], [attrInt("to", ONNX_DTYPE[dtype])]);
  return b.node("Expand", [zero, b.int64s(shape)]);
}

/**
 * Lowering of layout and indexing ops.
 *
 * - `reshape` → `Reshape` (int64 shape initializer); `transpose` → `Transpose(perm)`
 * - `broadcastTo` → `Expand`; `slice` → `Slice` (starts/ends/axes initializers)
 * - `pad` → `Pad` (constant mode, zero); `concat` → `Concat(axis)`
 * - `gather` → `Gather(axis=0)` with the int32 indices as they are
 * - `scatterAdd` → `ScatterND(zeros, int64 indices [..., 1], updates, reduction="add")`,
 *   which sums duplicate indices; the zeros are computed from the indices at run time (see
 *   `runtimeZeros`) so that they are not folded into a large initializer
 * - `oneHot` → `Cast(Equal(indices[..., None], 0..depth-1), float)`: out-of-range and negative
 *   indices give a zero row (ONNX `OneHot` would wrap negative indices)
 *
 * @example
 * ```ts
 * const name = LAYOUT_RULES.transpose!(ctx);
 * ```
 */
export const LAYOUT_RULES: LowerRules = {
  reshape: (c) => c.b.node("Reshape", [c.ins[0]!, c.b.int64s(c.node.attrs.shape)]),
  transpose: (c) => c.b.node("Transpose", c.ins, [attrInts("perm", c.node.attrs.perm)]),
  broadcastTo: (c) => c.b.node("Expand", [c.ins[0]!, c.b.int64s(c.node.attrs.shape)]),
  slice: (c) => {
    const { begin, size } = c.node.attrs;
    const inShape = c.inNodes[0]!.shape;
    if (sameShape(size, inShape)) return c.b.node("Identity", c.ins);
    const axes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    begin.forEach((s, i) => {
      if (s === 0 && size[i] === inShape[i]) return;
      axes.push(i);
      starts.push(s);
      ends.push(s + size[i]!);
    });
    return c.b.node("Slice", [c.ins[0]!, c.b.int64s(starts), c.b.int64s(ends), c.b.int64s(axes)]);
  },
  pad: (c) => {
    const { before, after } = c.node.attrs;
    if ([...before, ...after].every((v) => v === 0)) return c.b.node("Identity", c.ins);
    return c.b.node("Pad", [c.ins[0]!, c.b.int64s([...before, ...after])], [attrString("mode", "constant")]);
  },
  concat: (c) => c.b.node("Concat", c.ins, [attrInt("axis", c.node.attrs.axis)]),
  gather: (c) => c.b.node("Gather", c.ins, [attrInt("axis", 0)]),
  scatterAdd: (c) => {
    const [indices, updates] = c.ins as [string, string];
    const zeros = runtimeZeros(c.b, indices, c.inNodes[0]!.shape, c.node.dtype, c.node.shape);
    const idx = c.b.node("Unsqueeze", [
      c.b.node("Cast", [indices], [attrInt("to", OnnxDataType.INT64)]),
      c.b.int64s([-1]),
    ]);
    return c.b.node("ScatterND", [zeros, idx, updates], [attrString("reduction", "add")]);
  },
  oneHot: (c) => {
    const { depth } = c.node.attrs;
    const range = c.b.initializer(
      OnnxDataType.INT32,
      [depth],
      rawBytes(Int32Array.from({ length: depth }, (_, i) => i)),
    );
    const idx = c.b.node("Unsqueeze", [c.ins[0]!, c.b.int64s([-1])]);
    return castTo(c.b, c.b.node("Equal", [idx, range]), "float32");
  },
};
