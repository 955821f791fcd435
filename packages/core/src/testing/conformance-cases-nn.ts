import { attention, crossEntropy, gelu, layerNorm, logSoftmax, softmax } from "../ir/composites.js";
import { linearCrossEntropy } from "../ir/linear-cross-entropy.js";
import type { Graph, Tensor } from "../ir/graph.js";
import type { DType } from "../tensor/host-tensor.js";
import type { ConformanceCase, FeedSpec } from "./conformance-case.js";

const inp = (g: Graph, name: string, shape: number[], dtype: DType = "float32"): Tensor =>
  g.input(name, dtype, shape);

/** Padding-mask bias [2, 1, 1, 4]: batch 0 keeps all keys, batch 1 drops its last two. */
const PADDING_BIAS: FeedSpec = { values: [0, 0, 0, 0, 0, 0, -1e9, -1e9] };

function compositeCases(): ConformanceCase[] {
  return [
    { name: "softmax/last-axis", build: (g) => ({ y: softmax(inp(g, "x", [3, 5])) }) },
    { name: "softmax/axis0-rank3", build: (g) => ({ y: softmax(inp(g, "x", [4, 2, 3]), 0) }) },
    // Large logits: a backend must shift by the max (exp(60) overflows nothing in float32, exp(100) does).
    {
      name: "softmax/large-logits",
      feeds: { x: { range: [-100, 100] } },
      build: (g) => ({ y: softmax(inp(g, "x", [2, 6])) }),
    },
    { name: "logSoftmax/last-axis", build: (g) => ({ y: logSoftmax(inp(g, "x", [3, 5])) }) },
    { name: "logSoftmax/middle-axis", build: (g) => ({ y: logSoftmax(inp(g, "x", [2, 4, 3]), 1) }) },
    {
      name: "logSoftmax/large-logits",
      feeds: { x: { range: [-100, 100] } },
      build: (g) => ({ y: logSoftmax(inp(g, "x", [2, 6])) }),
    },
    {
      name: "layerNorm/bert-eps",
      feeds: { x: { range: [-3, 3] } },
      build: (g) => ({
        y: layerNorm(inp(g, "x", [2, 3, 8]), inp(g, "gamma", [8]), inp(g, "beta", [8]), 1e-12),
      }),
    },
    {
      name: "layerNorm/rank2-eps1e-5",
      build: (g) => ({ y: layerNorm(inp(g, "x", [4, 6]), inp(g, "gamma", [6]), inp(g, "beta", [6]), 1e-5) }),
    },
    // A constant row has zero variance: the output is beta (eps keeps it finite).
    {
      name: "layerNorm/constant-row",
      feeds: { x: { values: [2, 2, 2, 2, 1, 2, 3, 4] } },
      build: (g) => ({ y: layerNorm(inp(g, "x", [2, 4]), inp(g, "gamma", [4]), inp(g, "beta", [4]), 1e-5) }),
    },
    { name: "gelu/erf", feeds: { x: { range: [-5, 5] } }, build: (g) => ({ y: gelu(inp(g, "x", [4, 5])) }) },
    {
      name: "gelu/tanh",
      feeds: { x: { range: [-5, 5] } },
      build: (g) => ({ y: gelu(inp(g, "x", [4, 5]), "tanh") }),
    },
    {
      name: "attention/no-mask",
      build: (g) => ({
        y: attention(
          inp(g, "q", [1, 2, 3, 4]),
          inp(g, "k", [1, 2, 3, 4]),
          inp(g, "v", [1, 2, 3, 4]),
          g.addNode("fill", [], { value: 0 }, { shape: [1, 1, 1, 3], dtype: "float32" }),
          0.5,
        ),
      }),
    },
    {
      name: "attention/padding-mask",
      feeds: { bias: PADDING_BIAS },
      build: (g) => ({
        y: attention(
          inp(g, "q", [2, 2, 4, 4]),
          inp(g, "k", [2, 2, 4, 4]),
          inp(g, "v", [2, 2, 4, 4]),
          inp(g, "bias", [2, 1, 1, 4]),
          0.5,
        ),
      }),
    },
    {
      name: "attention/full-bias-cross",
      feeds: { bias: { range: [-2, 2] } },
      build: (g) => ({
        y: attention(
          inp(g, "q", [2, 1, 2, 3]),
          inp(g, "k", [2, 1, 5, 3]),
          inp(g, "v", [2, 1, 5, 3]),
          inp(g, "bias", [2, 1, 2, 5]),
          1 / Math.sqrt(3),
        ),
      }),
    },
    {
      name: "crossEntropy/basic",
      feeds: { labels: { range: [0, 5] }, logits: { range: [-3, 3] } },
      build: (g) => ({ y: crossEntropy(inp(g, "logits", [4, 5]), inp(g, "labels", [4], "int32")) }),
    },
    {
      name: "crossEntropy/ignored-rows",
      feeds: { labels: { values: [2, -100, 0, -100, 4, 1] }, logits: { range: [-3, 3] } },
      build: (g) => ({ y: crossEntropy(inp(g, "logits", [6, 5]), inp(g, "labels", [6], "int32")) }),
    },
    {
      name: "crossEntropy/all-ignored-is-zero",
      feeds: { labels: { values: [-100, -100, -100] } },
      build: (g) => ({ y: crossEntropy(inp(g, "logits", [3, 4]), inp(g, "labels", [3], "int32")) }),
    },
    {
      name: "crossEntropy/custom-ignore-index",
      feeds: { labels: { values: [0, 3, 1, 0] }, logits: { range: [-20, 20] } },
      build: (g) => ({ y: crossEntropy(inp(g, "logits", [4, 4]), inp(g, "labels", [4], "int32"), 0) }),
    },
    {
      name: "linearCrossEntropy/chunks-with-ignored-rows",
      feeds: { labels: { values: [2, -100, 0, 6, -100, 1, 3] }, hidden: { range: [-2, 2] } },
      build: (g) => ({
        y: linearCrossEntropy(
          inp(g, "hidden", [7, 4]),
          inp(g, "weight", [7, 4]),
          inp(g, "labels", [7], "int32"),
          {
            chunkRows: 3,
          },
        ),
      }),
    },
    {
      name: "linearCrossEntropy/one-chunk",
      feeds: { labels: { range: [0, 5] } },
      build: (g) => ({
        y: linearCrossEntropy(
          inp(g, "hidden", [4, 3]),
          inp(g, "weight", [5, 3]),
          inp(g, "labels", [4], "int32"),
        ),
      }),
    },
    {
      name: "linearCrossEntropy/all-ignored-is-zero",
      feeds: { labels: { values: [-100, -100, -100] } },
      build: (g) => ({
        y: linearCrossEntropy(
          inp(g, "hidden", [3, 2]),
          inp(g, "weight", [4, 2]),
          inp(g, "labels", [3], "int32"),
          {
            chunkRows: 2,
          },
        ),
      }),
    },
  ];
}

/** The same graphs run fused and through `expandComposites`: both must match the reference. */
function fusedVsDecomposedCases(): ConformanceCase[] {
  const keep = (c: ConformanceCase): boolean =>
    [
      "softmax/axis0-rank3",
      "logSoftmax/middle-axis",
      "layerNorm/bert-eps",
      "gelu/erf",
      "gelu/tanh",
      "attention/padding-mask",
      "crossEntropy/ignored-rows",
      "linearCrossEntropy/chunks-with-ignored-rows",
    ].includes(c.name);
  return compositeCases()
    .filter(keep)
    .map((c) => ({ ...c, name: `decomposed/${c.name}`, kind: "fusedVsDecomposed" as const }));
}

/** Forward cases of the composite ops, plus fused-vs-decomposed runs of each composite. */
export const NN_CASES: readonly ConformanceCase[] = [...compositeCases(), ...fusedVsDecomposedCases()];
