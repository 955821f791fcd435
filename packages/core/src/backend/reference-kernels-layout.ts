import { TunekitError } from "../errors.js";
import type { Node } from "../ir/graph.js";
import type { OpAttrs, OpName } from "../ir/op-attrs.js";
import { sizeOf } from "../tensor/host-tensor.js";
import type { ReferenceKernel } from "./reference-kernels-elementwise.js";
import { broadcastOffsets, type Float64Tensor, f64, stridesOf } from "./reference-tensor.js";

/** Calls `f(inputOffset, outputOffset)` for every element of `x` under an index map into the output. */
function forEachIndex(shape: readonly number[], f: (idx: readonly number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let e = 0; e < n; e++) {
    f(idx, e);
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      idx[ax]!++;
      if (idx[ax]! < shape[ax]!) break;
      idx[ax] = 0;
    }
  }
}

/** Reductions: sum (int32 wraps), mean (NaN over an empty axis), max (-Infinity / int32 min when empty). */
function reduceKernel(kind: "sum" | "mean" | "max"): ReferenceKernel {
  return (node, [x]) => {
    const { axes } = node.attrs as OpAttrs["sum"];
    const reduced = new Set(axes);
    const keptShape = x!.shape.map((d, i) => (reduced.has(i) ? 1 : d));
    const keptStrides = stridesOf(keptShape);
    const out = f64(node.dtype, node.shape);
    const init = kind === "max" ? (x!.dtype === "int32" ? -2147483648 : Number.NEGATIVE_INFINITY) : 0;
    out.data.fill(init);
    const count = sizeOf(axes.map((a) => x!.shape[a]!));
    forEachIndex(x!.shape, (idx, e) => {
      let o = 0;
      for (let i = 0; i < idx.length; i++) if (!reduced.has(i)) o += idx[i]! * keptStrides[i]!;
      const v = x!.data[e]!;
      if (kind === "max") {
        const cur = out.data[o]!;
        out.data[o] = Number.isNaN(v) || Number.isNaN(cur) ? Number.NaN : Math.max(v, cur);
      } else out.data[o]! += v;
    });
    if (kind === "mean") for (let i = 0; i < out.data.length; i++) out.data[i]! /= count;
    if (kind === "sum" && x!.dtype === "int32") for (let i = 0; i < out.data.length; i++) out.data[i]! |= 0;
    return out;
  };
}

function transposeKernel(node: Node, [x]: readonly Float64Tensor[]): Float64Tensor {
  const { perm } = node.attrs as OpAttrs["transpose"];
  const out = f64(node.dtype, node.shape);
  const inStrides = stridesOf(x!.shape);
  const st = perm.map((p) => inStrides[p]!); // input stride of each output axis
  forEachIndex(node.shape, (idx, e) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += idx[i]! * st[i]!;
    out.data[e] = x!.data[o]!;
  });
  return out;
}

function sliceKernel(node: Node, [x]: readonly Float64Tensor[]): Float64Tensor {
  const { begin } = node.attrs as OpAttrs["slice"];
  const out = f64(node.dtype, node.shape);
  const st = stridesOf(x!.shape);
  forEachIndex(node.shape, (idx, e) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += (idx[i]! + begin[i]!) * st[i]!;
    out.data[e] = x!.data[o]!;
  });
  return out;
}

function padKernel(node: Node, [x]: readonly Float64Tensor[]): Float64Tensor {
  const { before } = node.attrs as OpAttrs["pad"];
  const out = f64(node.dtype, node.shape);
  const st = stridesOf(node.shape);
  forEachIndex(x!.shape, (idx, e) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += (idx[i]! + before[i]!) * st[i]!;
    out.data[o] = x!.data[e]!;
  });
  return out;
}

function concatKernel(node: Node, ins: readonly Float64Tensor[]): Float64Tensor {
  const { axis } = node.attrs as OpAttrs["concat"];
  const out = f64(node.dtype, node.shape);
  const st = stridesOf(node.shape);
  let shift = 0;
  for (const x of ins) {
    forEachIndex(x.shape, (idx, e) => {
      let o = 0;
      for (let i = 0; i < idx.length; i++) o += (idx[i]! + (i === axis ? shift : 0)) * st[i]!;
      out.data[o] = x.data[e]!;
    });
    shift += x.shape[axis]!;
  }
  return out;
}

function checkIndex(op: string, v: number, pos: number, n: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v < n)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${op}: index ${v} at position ${pos} of the indices is out of range [0, ${n}); ` +
        "indices must address a row of axis 0 (negative indices are not wrapped)",
    );
  }
}

function gatherKernel(node: Node, [params, indices]: readonly Float64Tensor[]): Float64Tensor {
  const out = f64(node.dtype, node.shape);
  const n = params!.shape[0]!;
  const row = sizeOf(params!.shape.slice(1));
  indices!.data.forEach((v, pos) => {
    checkIndex("gather", v, pos, n);
    out.data.set(params!.data.subarray(v * row, (v + 1) * row), pos * row);
  });
  return out;
}

function scatterAddKernel(node: Node, [indices, updates]: readonly Float64Tensor[]): Float64Tensor {
  const out = f64(node.dtype, node.shape);
  const n = node.shape[0]!;
  const row = sizeOf(node.shape.slice(1));
  const isInt = node.dtype === "int32";
  indices!.data.forEach((v, pos) => {
    checkIndex("scatterAdd", v, pos, n);
    for (let j = 0; j < row; j++) {
      const s = out.data[v * row + j]! + updates!.data[pos * row + j]!;
      out.data[v * row + j] = isInt ? s | 0 : s;
    }
  });
  return out;
}

function oneHotKernel(node: Node, [indices]: readonly Float64Tensor[]): Float64Tensor {
  const { depth } = node.attrs as OpAttrs["oneHot"];
  const out = f64(node.dtype, node.shape);
  indices!.data.forEach((v, pos) => {
    if (v >= 0 && v < depth) out.data[pos * depth + v] = 1;
  });
  return out;
}

/** Reductions, layout and indexing kernels. */
export const LAYOUT_KERNELS: { readonly [K in OpName]?: ReferenceKernel } = {
  sum: reduceKernel("sum"),
  mean: reduceKernel("mean"),
  max: reduceKernel("max"),
  reshape: (node, [x]) => f64(node.dtype, node.shape, Float64Array.from(x!.data)),
  transpose: transposeKernel,
  broadcastTo: (node, [x]) => {
    const off = broadcastOffsets(x!.shape, node.shape);
    const out = f64(node.dtype, node.shape);
    for (let e = 0; e < off.length; e++) out.data[e] = x!.data[off[e]!]!;
    return out;
  },
  slice: sliceKernel,
  pad: padKernel,
  concat: concatKernel,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
  oneHot: oneHotKernel,
};
