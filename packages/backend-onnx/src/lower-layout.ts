import type { DType } from "@tunekit/core";
import {
  attrInt,
  attrInts,
  attrString,
  ONNX_DTYPE,
  type OnnxGraphBuilder,
  rawBytes,
} from "./onnx-builder.js";
import { castTo, filled, type LowerOptions, type LowerRules } from "./lower-context.js";
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
  provider: LowerOptions["provider"] = "cpu",
): string {
  if (indexShape.some((d) => d === 0)) return filled(b, dtype, shape, 0);
  const flat = b.node("Reshape", [indices, b.int64s([-1])]);
  if (provider === "webgpu") {
    // Cast before slicing: WebGPU's Slice takes float32 but not int32 (it would run on the CPU).
    const first = b.node("Slice", [
      b.node("Cast", [flat], [attrInt("to", ONNX_DTYPE[dtype])]),
      b.int64s([0]),
      b.int64s([1]),
    ]);
    return b.node("Expand", [b.node("Sub", [first, first]), b.int64s(shape)]);
  }
  const first = b.node("Slice", [flat, b.int64s([0]), b.int64s([1])]);
  const zero = b.node("Cast", [b.node("Sub", [first, first])], [attrInt("to", ONNX_DTYPE[dtype])]);
  return b.node("Expand", [zero, b.int64s(shape)]);
}

/**
 * `base [rows, width]` with the updates of each distinct index added to its row, reshaped to
 * `outShape`. Duplicates are summed before the scatter: onnxruntime's CPU ScatterND with
 * reduction "add" splits the index list over threads without guarding rows that repeat
 * (updates get lost). `Unique` lists the `U` distinct indices, a `[U, N]` one-hot (`Equal`
 * of distinct vs all indices) `MatMul` the `[N, width]` updates gives each row's sum in a
 * fixed order, those rows of `base` are added (`Gather`) and `ScatterND` writes the `U` rows.
 * Shared by `scatterAdd` (base: zeros) and its fusion with an add (base: the other addend).
 *
 * @example
 * ```ts
 * const sum = emitScatterRows(b, dense, ids, [16, 128], rows, "float32", [30522, 256]);
 * ```
 */
export function emitScatterRows(
  b: OnnxGraphBuilder,
  base: string,
  indices: string,
  indexShape: readonly number[],
  updates: string,
  dtype: DType,
  outShape: readonly number[],
  addBaseRows = false,
  provider: LowerOptions["provider"] = "cpu",
): string {
  const n = indexShape.reduce((a, d) => a * d, 1);
  const width = outShape.slice(1).reduce((a, d) => a * d, 1);
  if (n === 0) return b.node("Reshape", [base, b.int64s(outShape)]);
  if (provider === "webgpu") {
    // WebGPU has ScatterND with reduction "add" (repeated rows summed on the device) but no
    // Unique: the rows go straight onto the base, which is the result whether or not its own
    // rows are meant to be kept (zeros for a plain scatterAdd).
    const at = b.node(
      "Cast",
      [b.node("Reshape", [indices, b.int64s([n, 1])])],
      [attrInt("to", OnnxDataType.INT64)],
    );
    const rows = b.node("Reshape", [updates, b.int64s([n, width])]);
    const table = b.node("Reshape", [base, b.int64s([outShape[0]!, width])]);
    const written = b.node("ScatterND", [table, at, rows], [attrString("reduction", "add")]);
    return b.node("Reshape", [written, b.int64s(outShape)]);
  }
  const flat = b.node(
    "Cast",
    [b.node("Reshape", [indices, b.int64s([-1])])],
    [attrInt("to", OnnxDataType.INT64)],
  );
  const distinct = b.node("Unique", [flat], [attrInt("sorted", 1)]);
  const select = b.node(
    "Cast",
    [
      b.node("Equal", [
        b.node("Unsqueeze", [distinct, b.int64s([-1])]),
        b.node("Unsqueeze", [flat, b.int64s([0])]),
      ]),
    ],
    [attrInt("to", ONNX_DTYPE[dtype])],
  );
  const sums = b.node("MatMul", [select, b.node("Reshape", [updates, b.int64s([n, width])])]);
  const table = b.node("Reshape", [base, b.int64s([outShape[0]!, width])]);
  const rows = addBaseRows
    ? b.node("Add", [b.node("Gather", [table, distinct], [attrInt("axis", 0)]), sums])
    : sums;
  const written = b.node("ScatterND", [table, b.node("Unsqueeze", [distinct, b.int64s([-1])]), rows]);
  return b.node("Reshape", [written, b.int64s(outShape)]);
}

/**
 * Lowering of layout and indexing ops.
 *
 * - `reshape` → `Reshape` (int64 shape initializer); `transpose` → `Transpose(perm)`
 * - `broadcastTo` → `Expand`; `slice` → `Slice` (starts/ends/axes initializers)
 * - `pad` → `Pad` (constant mode, zero); `concat` → `Concat(axis)`
 * - `gather` → `Gather(axis=0)` with the int32 indices as they are
 * - `scatterAdd` → duplicates summed first, then `ScatterND` without reduction: `Unique` lists
 *   the `U` distinct indices, a `[U, N]` one-hot (`Equal` of distinct vs all indices) `MatMul`
 *   the `[N, width]` updates gives each row's sum in a fixed order, and `ScatterND` writes the
 *   `U` rows into zeros computed from the indices at run time (see `runtimeZeros`: not folded
 *   into a large initializer). Not `ScatterND(reduction="add")`: onnxruntime's CPU kernel
 *   splits the index list over threads without guarding repeated rows and loses updates (an
 *   embedding gradient at training size came out wrong by up to 2.8 on sums of ~128 values,
 *   differently from run to run). Cost `U·N·width` multiply-adds: about 1 GFLOP for a
 *   2,048-token batch of width 256, ~2% of a full fine-tuning step of the bench model.
 * - `scatterAdd` for the WebGPU provider (no `Unique` kernel there): one
 *   `ScatterND(reduction="add")`, which sums repeated rows on the device
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
    if (c.options.provider === "webgpu" && c.node.dtype !== "float32") {
      // WebGPU's Slice takes float32 only (an int32 slice, such as a causal LM's shifted
      // labels, would run on the CPU); its Gather takes int32: one Gather of the kept range per axis.
      let out = c.ins[0]!;
      axes.forEach((axis, k) => {
        const range = Array.from({ length: ends[k]! - starts[k]! }, (_, j) => starts[k]! + j);
        out = c.b.node("Gather", [out, c.b.int64s(range)], [attrInt("axis", axis)]);
      });
      return out;
    }
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
    const indexShape = c.inNodes[0]!.shape;
    const outShape = c.node.shape;
    const width = outShape.slice(1).reduce((a, d) => a * d, 1);
    const zeros = runtimeZeros(
      c.b,
      indices,
      indexShape,
      c.node.dtype,
      [outShape[0]!, width],
      c.options.provider,
    );
    return emitScatterRows(
      c.b,
      zeros,
      indices,
      indexShape,
      updates,
      c.node.dtype,
      outShape,
      false,
      c.options.provider,
    );
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
