import { TunekitError } from "../errors.js";
import type { Node } from "../ir/graph.js";
import type { OpAttrs, OpName } from "../ir/op-attrs.js";
import { sizeOf } from "../tensor/host-tensor.js";
import { erf64 } from "./reference-erf.js";
import type { ReferenceKernel } from "./reference-kernels-elementwise.js";
import { broadcastOffsets, type Float64Tensor, f64 } from "./reference-tensor.js";

/**
 * `matmul`: `a [..., M, K] · b [..., K, N]` after the optional transposes of the last two
 * axes, batch axes broadcast (NumPy rules).
 */
function matmulKernel(node: Node, [a, b]: readonly Float64Tensor[]): Float64Tensor {
  const { transposeA, transposeB } = node.attrs as OpAttrs["matmul"];
  const ra = a!.shape.length;
  const rb = b!.shape.length;
  const [a0, a1] = [a!.shape[ra - 2]!, a!.shape[ra - 1]!];
  const [b0, b1] = [b!.shape[rb - 2]!, b!.shape[rb - 1]!];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const n = transposeB ? b0 : b1;
  const outBatch = node.shape.slice(0, -2);
  const aBatch = broadcastOffsets(a!.shape.slice(0, -2), outBatch);
  const bBatch = broadcastOffsets(b!.shape.slice(0, -2), outBatch);
  // Element strides of the logical (post-transpose) row/column axes.
  const [asM, asK] = transposeA ? [1, a1] : [a1, 1];
  const [bsK, bsN] = transposeB ? [1, b1] : [b1, 1];
  const out = f64("float32", node.shape);
  for (let bi = 0; bi < aBatch.length; bi++) {
    const ao = aBatch[bi]! * a0 * a1;
    const bo = bBatch[bi]! * b0 * b1;
    const oo = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a!.data[ao + i * asM + p * asK]! * b!.data[bo + p * bsK + j * bsN]!;
        out.data[oo + i * n + j] = s;
      }
    }
  }
  return out;
}

/** Mulberry32 PRNG over a 32-bit seed (any int32, negatives included): floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `dropoutMask`: element i is 0 when the i-th mulberry32(seed) draw is < rate, else 1/(1-rate). */
function dropoutMaskKernel(node: Node, [seed]: readonly Float64Tensor[]): Float64Tensor {
  const { rate } = node.attrs as OpAttrs["dropoutMask"];
  const next = mulberry32(seed!.data[0]! | 0);
  const out = f64("float32", node.shape);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < out.data.length; i++) out.data[i] = next() < rate ? 0 : keep;
  return out;
}

/** Calls `f(base, stride, len)` for every line of `shape` along `axis`. */
function forEachLine(
  shape: readonly number[],
  axis: number,
  f: (base: number, stride: number, len: number) => void,
): void {
  const len = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * len * inner + i, inner, len);
}

/** Max-shifted log-sum-exp of `data[base + j*stride]`, j < len. */
function logSumExp(data: Float64Array, base: number, stride: number, len: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < len; j++) m = Math.max(m, data[base + j * stride]!);
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let j = 0; j < len; j++) s += Math.exp(data[base + j * stride]! - m);
  return m + Math.log(s);
}

function softmaxKernel(log: boolean): ReferenceKernel {
  return (node, [x]) => {
    const { axis } = node.attrs as OpAttrs["softmax"];
    const out = f64("float32", node.shape);
    forEachLine(x!.shape, axis, (base, stride, len) => {
      const lse = logSumExp(x!.data, base, stride, len);
      for (let j = 0; j < len; j++) {
        const v = x!.data[base + j * stride]! - lse;
        out.data[base + j * stride] = log ? v : Math.exp(v);
      }
    });
    return out;
  };
}

/** `layerNorm` over the last axis: `(x - mean) / sqrt(var + eps) * gamma + beta`, biased variance. */
function layerNormKernel(node: Node, [x, gamma, beta]: readonly Float64Tensor[]): Float64Tensor {
  const { eps } = node.attrs as OpAttrs["layerNorm"];
  const h = x!.shape[x!.shape.length - 1]!;
  const out = f64("float32", node.shape);
  for (let r = 0; r * h < x!.data.length; r++) {
    let mu = 0;
    for (let j = 0; j < h; j++) mu += x!.data[r * h + j]!;
    mu /= h;
    let v = 0;
    for (let j = 0; j < h; j++) v += (x!.data[r * h + j]! - mu) ** 2;
    const inv = 1 / Math.sqrt(v / h + eps);
    for (let j = 0; j < h; j++)
      out.data[r * h + j] = (x!.data[r * h + j]! - mu) * inv * gamma!.data[j]! + beta!.data[j]!;
  }
  return out;
}

function geluKernel(node: Node, [x]: readonly Float64Tensor[]): Float64Tensor {
  const { approximate } = node.attrs as OpAttrs["gelu"];
  const out = f64("float32", node.shape);
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < out.data.length; i++) {
    const v = x!.data[i]!;
    out.data[i] =
      approximate === "tanh"
        ? 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)))
        : 0.5 * v * (1 + erf64(v * Math.SQRT1_2));
  }
  return out;
}

/** `attention`: `softmax(q kᵀ · scale + bias) v` per (batch, head), bias broadcast to [B, H, Sq, Sk]. */
function attentionKernel(node: Node, [q, k, v, bias]: readonly Float64Tensor[]): Float64Tensor {
  const { scale } = node.attrs as OpAttrs["attention"];
  const [b, h, sq, d] = q!.shape as [number, number, number, number];
  const sk = k!.shape[2]!;
  const biasOff = broadcastOffsets(bias!.shape, [b, h, sq, sk]);
  const out = f64("float32", node.shape);
  const scores = new Float64Array(sk);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < sq; i++) {
      const qo = (bh * sq + i) * d;
      for (let j = 0; j < sk; j++) {
        const ko = (bh * sk + j) * d;
        let s = 0;
        for (let p = 0; p < d; p++) s += q!.data[qo + p]! * k!.data[ko + p]!;
        scores[j] = s * scale + bias!.data[biasOff[(bh * sq + i) * sk + j]!]!;
      }
      const lse = logSumExp(scores, 0, 1, sk);
      for (let j = 0; j < sk; j++) {
        const w = Math.exp(scores[j]! - lse);
        const vo = (bh * sk + j) * d;
        for (let p = 0; p < d; p++) out.data[qo + p]! += w * v!.data[vo + p]!;
      }
    }
  }
  return out;
}

/**
 * Mean over the rows whose label is not `ignoreIndex` of `logsumexp(row) − row[label]` (0 when
 * every row is ignored); `rowOf(r)` gives the array and offset of row `r`'s `classes` logits.
 * A label outside `[0, classes)` that is not `ignoreIndex` throws, naming `op`.
 */
function meanNegLogLikelihood(
  op: string,
  labels: Float64Tensor,
  ignoreIndex: number,
  classes: number,
  rowOf: (r: number) => readonly [Float64Array, number],
): Float64Tensor {
  let total = 0;
  let count = 0;
  for (let r = 0; r < labels.data.length; r++) {
    const y = labels.data[r]!;
    if (y === ignoreIndex) continue;
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${op}: label ${y} of row ${r} is out of range [0, ${classes}) and is not the ignore index ${ignoreIndex}`,
      );
    }
    const [data, base] = rowOf(r);
    total += logSumExp(data, base, 1, classes) - data[base + y]!;
    count++;
  }
  return f64("float32", [], new Float64Array([count === 0 ? 0 : total / count]));
}

/**
 * `crossEntropy`: mean over non-ignored rows of `logsumexp(logits[r]) - logits[r, label]`
 * (0 when every row is ignored). A label outside `[0, C)` that is not `ignoreIndex` throws.
 */
function crossEntropyKernel(node: Node, [logits, labels]: readonly Float64Tensor[]): Float64Tensor {
  const { ignoreIndex } = node.attrs as OpAttrs["crossEntropy"];
  const c = logits!.shape[1]!;
  return meanNegLogLikelihood("crossEntropy", labels!, ignoreIndex, c, (r) => [logits!.data, r * c]);
}

/**
 * `linearCrossEntropy`: the `crossEntropy` kernel on the logits `hidden · weightᵀ`, one row
 * of logits at a time (the chunking only matters to memory, not to the value).
 */
function linearCrossEntropyKernel(
  node: Node,
  [hidden, weight, labels]: readonly Float64Tensor[],
): Float64Tensor {
  const { ignoreIndex } = node.attrs as OpAttrs["linearCrossEntropy"];
  const h = hidden!.shape[1]!;
  const v = weight!.shape[0]!;
  const row = new Float64Array(v);
  return meanNegLogLikelihood("linearCrossEntropy", labels!, ignoreIndex, v, (r) => {
    for (let c = 0; c < v; c++) {
      let dot = 0;
      for (let k = 0; k < h; k++) dot += hidden!.data[r * h + k]! * weight!.data[c * h + k]!;
      row[c] = dot;
    }
    return [row, 0];
  });
}

/** Linear algebra, random masks and composite kernels (composites computed directly, not decomposed). */
export const NN_KERNELS: { readonly [K in OpName]?: ReferenceKernel } = {
  matmul: matmulKernel,
  dropoutMask: dropoutMaskKernel,
  softmax: softmaxKernel(false),
  logSoftmax: softmaxKernel(true),
  layerNorm: layerNormKernel,
  gelu: geluKernel,
  attention: attentionKernel,
  crossEntropy: crossEntropyKernel,
  linearCrossEntropy: linearCrossEntropyKernel,
};
