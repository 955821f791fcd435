import { attention, crossEntropy, gelu, layerNorm, logSoftmax, softmax } from "../ir/composites.js";
import { linearCrossEntropy } from "../ir/linear-cross-entropy.js";
import type { Graph, Tensor } from "../ir/graph.js";
import {
  abs,
  add,
  broadcastTo,
  concat,
  div,
  erf,
  exp,
  gather,
  greater,
  log,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pad,
  pow,
  reshape,
  scatterAdd,
  slice,
  sqrt,
  sub,
  sum,
  tanh,
  transpose,
  where,
} from "../ir/ops.js";
import type { DType } from "../tensor/host-tensor.js";
import type { FeedSpec, VjpConformanceCase } from "./conformance-case.js";
import { DECODER_VJP_CASES } from "./conformance-cases-decoder.js";

const inp = (g: Graph, name: string, shape: number[], dtype: DType = "float32"): Tensor =>
  g.input(name, dtype, shape);

/** `sum(y · ct)` with a random cotangent input `ct`: a scalar loss whose gradient is a full VJP. */
function weighted(y: Tensor): Tensor {
  return sum(mul(y, y.graph.input("ct", "float32", y.shape)));
}

/** A case differentiating `fn(inputs)` with respect to every float32 input it declares. */
function unaryVjp(
  name: string,
  shape: number[],
  fn: (x: Tensor) => Tensor,
  spec: FeedSpec = {},
  tol: { rtol?: number; atol?: number } = {},
): VjpConformanceCase {
  return {
    name: `vjp/${name}`,
    feeds: { x: spec },
    ...tol,
    build: (g) => {
      const x = inp(g, "x", shape);
      return { loss: weighted(fn(x)), wrt: [x] };
    },
  };
}

function binaryVjp(
  name: string,
  sa: number[],
  sb: number[],
  fn: (a: Tensor, b: Tensor) => Tensor,
  feeds: Record<string, FeedSpec> = {},
): VjpConformanceCase {
  return {
    name: `vjp/${name}`,
    feeds,
    build: (g) => {
      const a = inp(g, "a", sa);
      const b = inp(g, "b", sb);
      return { loss: weighted(fn(a, b)), wrt: [a, b] };
    },
  };
}

const ties: FeedSpec = { range: [-2, 2], integer: true };

/**
 * VJP conformance cases: one or more per differentiable op (every op of `ALL_OPS` except
 * the non-differentiable ones), built as `sum(op(...) · cotangent)` so the gradient is a
 * full vector-Jacobian product. The suite runs `grad(loss, wrt)` on the backend and on the
 * reference and compares loss and gradients.
 *
 * @example
 * ```ts
 * vjpConformanceCases.find((c) => c.name === "vjp/matmul/broadcast-batch");
 * ```
 */
export const vjpConformanceCases: readonly VjpConformanceCase[] = [
  binaryVjp("add/broadcast", [2, 1, 3], [4, 1], add),
  binaryVjp("sub/broadcast", [2, 1, 3], [3], sub),
  binaryVjp("mul/broadcast", [2, 1, 3], [4, 1], mul),
  binaryVjp("div/broadcast", [2, 1, 3], [4, 1], div, { b: { range: [0.5, 2] } }),
  binaryVjp("pow/broadcast", [2, 3], [3], pow, { a: { range: [0.5, 2] }, b: { range: [-2, 2] } }),
  unaryVjp("pow/scalar-exponent", [2, 3], (x) => pow(x, 3)),
  binaryVjp("maximum/same-shape", [3, 4], [3, 4], maximum),
  binaryVjp("maximum/ties", [3, 4], [3, 4], maximum, { a: ties, b: ties }),
  binaryVjp("minimum/broadcast", [3, 4], [4], minimum),
  binaryVjp("minimum/ties", [3, 4], [3, 4], minimum, { a: ties, b: ties }),
  unaryVjp("neg", [2, 3], neg),
  unaryVjp("exp", [2, 3], exp, { range: [-2, 2] }),
  unaryVjp("log", [2, 3], log, { range: [0.2, 3] }),
  unaryVjp("sqrt", [2, 3], sqrt, { range: [0.2, 4] }),
  unaryVjp("tanh", [2, 3], tanh, { range: [-2, 2] }),
  unaryVjp("erf", [2, 3], erf, { range: [-2, 2] }),
  unaryVjp("abs", [2, 3], abs),
  {
    name: "vjp/where/broadcast",
    build: (g) => {
      const x = inp(g, "x", [2, 4, 3]);
      const a = inp(g, "a", [4, 1]);
      const b = inp(g, "b", [3]);
      return { loss: weighted(where(greater(x, 0), mul(a, x), b)), wrt: [x, a, b] };
    },
  },
  unaryVjp("sum/axes-keepDims", [2, 3, 4], (x) => sum(x, [0, 2], true)),
  unaryVjp("sum/all", [2, 3], (x) => mul(sum(x), x)),
  unaryVjp("mean/last-axis", [2, 3, 4], (x) => mean(x, -1)),
  unaryVjp("max/axis", [3, 5], (x) => max(x, 1, true)),
  unaryVjp("max/all", [2, 4], (x) => max(x)),
  unaryVjp("reshape", [2, 3, 4], (x) => reshape(x, [6, 4])),
  unaryVjp("transpose", [2, 3, 4], (x) => transpose(x, [2, 0, 1])),
  unaryVjp("broadcastTo", [2, 1, 3], (x) => broadcastTo(x, [2, 4, 3])),
  unaryVjp("slice", [4, 5], (x) => slice(x, [1, 2], [2, 3])),
  unaryVjp("pad", [2, 3], (x) => pad(x, [1, 0], [0, 2])),
  binaryVjp("concat", [2, 3], [2, 2], (a, b) => concat([a, b, a], 1)),
  binaryVjp("matmul/2d", [3, 4], [4, 5], (a, b) => matmul(a, b)),
  binaryVjp("matmul/transposeA", [4, 3], [4, 5], (a, b) => matmul(a, b, { transposeA: true })),
  binaryVjp("matmul/transposeB", [3, 4], [5, 4], (a, b) => matmul(a, b, { transposeB: true })),
  binaryVjp("matmul/broadcast-batch", [2, 1, 3, 4], [3, 4, 2], (a, b) => matmul(a, b)),
  {
    name: "vjp/gather/duplicates",
    feeds: { ids: { values: [0, 2, 2, 4, 0, 2] } },
    build: (g) => {
      const p = inp(g, "p", [5, 3]);
      return { loss: weighted(gather(p, inp(g, "ids", [2, 3], "int32"))), wrt: [p] };
    },
  },
  {
    name: "vjp/scatterAdd/duplicates",
    feeds: { ids: { values: [1, 3, 1, 1] } },
    build: (g) => {
      const u = inp(g, "u", [4, 2]);
      return { loss: weighted(scatterAdd(inp(g, "ids", [4], "int32"), u, [5, 2])), wrt: [u] };
    },
  },
  unaryVjp("softmax/last-axis", [3, 5], (x) => softmax(x)),
  unaryVjp("softmax/axis0", [4, 3], (x) => softmax(x, 0)),
  unaryVjp("logSoftmax", [3, 5], (x) => logSoftmax(x), { range: [-3, 3] }),
  {
    name: "vjp/layerNorm",
    build: (g) => {
      const x = inp(g, "x", [2, 3, 6]);
      const gamma = inp(g, "gamma", [6]);
      const beta = inp(g, "beta", [6]);
      return { loss: weighted(layerNorm(x, gamma, beta, 1e-5)), wrt: [x, gamma, beta] };
    },
  },
  unaryVjp("gelu/erf", [3, 4], (x) => gelu(x), { range: [-3, 3] }),
  unaryVjp("gelu/tanh", [3, 4], (x) => gelu(x, "tanh"), { range: [-3, 3] }),
  {
    name: "vjp/attention/padding-mask",
    feeds: { bias: { values: [0, 0, 0, 0, 0, -1e9] } },
    build: (g) => {
      const q = inp(g, "q", [2, 2, 3, 4]);
      const k = inp(g, "k", [2, 2, 3, 4]);
      const v = inp(g, "v", [2, 2, 3, 4]);
      const bias = inp(g, "bias", [2, 1, 1, 3]);
      return { loss: weighted(attention(q, k, v, bias, 0.5)), wrt: [q, k, v] };
    },
  },
  {
    name: "vjp/attention/bias-gradient",
    feeds: { bias: { range: [-1, 1] } },
    build: (g) => {
      const q = inp(g, "q", [1, 2, 2, 3]);
      const k = inp(g, "k", [1, 2, 4, 3]);
      const v = inp(g, "v", [1, 2, 4, 3]);
      const bias = inp(g, "bias", [1, 2, 2, 4]);
      return { loss: weighted(attention(q, k, v, bias, 0.7)), wrt: [q, k, v, bias] };
    },
  },
  {
    name: "vjp/crossEntropy/ignored-rows",
    feeds: { labels: { values: [2, -100, 0, 4, -100] }, logits: { range: [-3, 3] } },
    build: (g) => {
      const logits = inp(g, "logits", [5, 5]);
      return { loss: crossEntropy(logits, inp(g, "labels", [5], "int32")), wrt: [logits] };
    },
  },
  {
    name: "vjp/linearCrossEntropy/chunks-with-ignored-rows",
    feeds: { labels: { values: [1, -100, 0, 5, 2, -100, 4] } },
    build: (g) => {
      const hidden = inp(g, "hidden", [7, 3]);
      const weight = inp(g, "weight", [6, 3]);
      const labels = inp(g, "labels", [7], "int32");
      return { loss: linearCrossEntropy(hidden, weight, labels, { chunkRows: 3 }), wrt: [hidden, weight] };
    },
  },
  {
    // A small classifier: matmul -> gelu -> layerNorm -> matmul -> crossEntropy.
    name: "vjp/chain/classifier",
    feeds: { labels: { range: [0, 3] } },
    build: (g) => {
      const x = inp(g, "x", [4, 5]);
      const w1 = inp(g, "w1", [6, 5]);
      const gamma = inp(g, "gamma", [6]);
      const beta = inp(g, "beta", [6]);
      const w2 = inp(g, "w2", [6, 3]);
      const h = layerNorm(gelu(matmul(x, w1, { transposeB: true })), gamma, beta, 1e-12);
      const loss = crossEntropy(matmul(h, w2), inp(g, "labels", [4], "int32"));
      return { loss, wrt: [w1, gamma, beta, w2] };
    },
  },
  ...DECODER_VJP_CASES,
];
