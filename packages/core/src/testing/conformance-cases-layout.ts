import { Graph, type Tensor } from "../ir/graph.js";
import {
  broadcastTo,
  concat,
  gather,
  matmul,
  max,
  mean,
  oneHot,
  pad,
  reshape,
  scatterAdd,
  slice,
  sum,
  transpose,
} from "../ir/ops.js";
import type { DType } from "../tensor/host-tensor.js";
import type { ConformanceCase } from "./conformance-case.js";
import { randomHostTensor } from "./conformance-compare.js";

const inp = (g: Graph, name: string, shape: number[], dtype: DType = "float32"): Tensor =>
  g.input(name, dtype, shape);

function reductionCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const [op, fn] of [
    ["sum", sum],
    ["mean", mean],
    ["max", max],
  ] as const) {
    cases.push(
      { name: `${op}/all-axes`, build: (g) => ({ y: fn(inp(g, "x", [3, 4])) }) },
      { name: `${op}/last-axis-keepDims`, build: (g) => ({ y: fn(inp(g, "x", [2, 3, 4]), -1, true) }) },
      { name: `${op}/outer-axes`, build: (g) => ({ y: fn(inp(g, "x", [2, 3, 4]), [0, 2]) }) },
      // -2 is normalised to 1 at trace time; the backend sees axes [1].
      { name: `${op}/negative-axis-keepDims`, build: (g) => ({ y: fn(inp(g, "x", [2, 3, 4]), -2, true) }) },
      { name: `${op}/rank4-middle`, build: (g) => ({ y: fn(inp(g, "x", [2, 2, 3, 2]), [1, 2]) }) },
    );
  }
  cases.push(
    {
      name: "sum/int32",
      feeds: { x: { range: [-100, 100] } },
      build: (g) => ({ y: sum(inp(g, "x", [3, 5], "int32"), 1) }),
    },
    {
      name: "max/int32",
      feeds: { x: { range: [-100, 100] } },
      build: (g) => ({ y: max(inp(g, "x", [3, 5], "int32"), 0, true) }),
    },
    {
      name: "max/ties",
      feeds: { x: { range: [-1, 2], integer: true } },
      build: (g) => ({ y: max(inp(g, "x", [4, 6]), 1) }),
    },
  );
  return cases;
}

function layoutCases(): ConformanceCase[] {
  return [
    { name: "reshape/merge-axes", build: (g) => ({ y: reshape(inp(g, "x", [2, 3, 4]), [6, 4]) }) },
    { name: "reshape/split-axes", build: (g) => ({ y: reshape(inp(g, "x", [6, 4]), [2, 3, 2, 2]) }) },
    { name: "reshape/to-scalar", build: (g) => ({ y: reshape(inp(g, "x", [1, 1]), []) }) },
    {
      name: "reshape/int32",
      feeds: { x: { range: [-9, 9] } },
      build: (g) => ({ y: reshape(inp(g, "x", [4, 3], "int32"), [3, 4]) }),
    },
    { name: "transpose/2d", build: (g) => ({ y: transpose(inp(g, "x", [3, 5]), [1, 0]) }) },
    { name: "transpose/heads", build: (g) => ({ y: transpose(inp(g, "x", [2, 3, 4, 5]), [0, 2, 1, 3]) }) },
    { name: "transpose/rotate-3d", build: (g) => ({ y: transpose(inp(g, "x", [2, 3, 4]), [2, 0, 1]) }) },
    { name: "transpose/bool", build: (g) => ({ y: transpose(inp(g, "x", [2, 3], "bool"), [1, 0]) }) },
    { name: "broadcastTo/add-leading", build: (g) => ({ y: broadcastTo(inp(g, "x", [3]), [2, 3]) }) },
    {
      name: "broadcastTo/stretch-middle",
      build: (g) => ({ y: broadcastTo(inp(g, "x", [2, 1, 3]), [2, 4, 3]) }),
    },
    { name: "broadcastTo/scalar", build: (g) => ({ y: broadcastTo(inp(g, "x", []), [2, 2]) }) },
    {
      name: "broadcastTo/int32",
      build: (g) => ({ y: broadcastTo(inp(g, "x", [1, 3], "int32"), [2, 2, 3]) }),
    },
    { name: "slice/interior", build: (g) => ({ y: slice(inp(g, "x", [4, 5]), [1, 2], [2, 3]) }) },
    { name: "slice/cls-token", build: (g) => ({ y: slice(inp(g, "x", [2, 4, 3]), [0, 0, 0], [-1, 1, -1]) }) },
    { name: "slice/full", build: (g) => ({ y: slice(inp(g, "x", [2, 3]), [0, 0], [2, 3]) }) },
    { name: "pad/asymmetric", build: (g) => ({ y: pad(inp(g, "x", [2, 3]), [1, 0], [2, 1]) }) },
    { name: "pad/rank3-some-axes", build: (g) => ({ y: pad(inp(g, "x", [2, 2, 2]), [0, 1, 0], [0, 0, 3]) }) },
    {
      name: "pad/int32",
      feeds: { x: { range: [1, 9] } },
      build: (g) => ({ y: pad(inp(g, "x", [3], "int32"), [2], [1]) }),
    },
    { name: "concat/axis0", build: (g) => ({ y: concat([inp(g, "a", [2, 3]), inp(g, "b", [1, 3])], 0) }) },
    {
      name: "concat/negative-axis-three-inputs",
      build: (g) => ({
        y: concat([inp(g, "a", [2, 2, 1]), inp(g, "b", [2, 2, 3]), inp(g, "c", [2, 2, 2])], -1),
      }),
    },
    {
      name: "concat/int32-middle-axis",
      build: (g) => ({ y: concat([inp(g, "a", [2, 1, 2], "int32"), inp(g, "b", [2, 3, 2], "int32")], 1) }),
    },
  ];
}

function matmulCases(): ConformanceCase[] {
  const mm = (name: string, sa: number[], sb: number[], ta = false, tb = false): ConformanceCase => ({
    name: `matmul/${name}`,
    build: (g) => ({ y: matmul(inp(g, "a", sa), inp(g, "b", sb), { transposeA: ta, transposeB: tb }) }),
  });
  return [
    mm("2d", [3, 4], [4, 5]),
    mm("transposeA", [4, 3], [4, 5], true),
    mm("transposeB", [3, 4], [5, 4], false, true),
    mm("transposeA-transposeB", [4, 3], [5, 4], true, true),
    mm("batched-3d", [2, 3, 4], [2, 4, 5]),
    mm("broadcast-batch", [2, 1, 3, 4], [3, 4, 5]),
    mm("broadcast-batch-both", [2, 1, 3, 4], [1, 3, 4, 2]),
    mm("rank4-vs-rank2-transposeB", [2, 3, 4, 5], [6, 5], false, true),
    mm("attention-scores", [2, 2, 3, 4], [2, 2, 5, 4], false, true),
    mm("vector-shapes", [1, 8], [8, 1]),
  ];
}

function indexingCases(): ConformanceCase[] {
  return [
    {
      name: "gather/2d-indices",
      feeds: { ids: { range: [0, 5] } },
      build: (g) => ({ y: gather(inp(g, "p", [5, 3]), inp(g, "ids", [2, 3], "int32")) }),
    },
    {
      name: "gather/duplicates-and-bounds",
      feeds: { ids: { values: [0, 4, 4, 0, 2, 2] } },
      build: (g) => ({ y: gather(inp(g, "p", [5, 2, 2]), inp(g, "ids", [6], "int32")) }),
    },
    {
      name: "gather/rank1-params",
      feeds: { ids: { range: [0, 6] } },
      build: (g) => ({ y: gather(inp(g, "p", [6]), inp(g, "ids", [4], "int32")) }),
    },
    {
      name: "gather/int32-params",
      feeds: { p: { range: [-50, 50] }, ids: { range: [0, 4] } },
      build: (g) => ({ y: gather(inp(g, "p", [4, 2], "int32"), inp(g, "ids", [3], "int32")) }),
    },
    {
      name: "scatterAdd/duplicates-sum",
      feeds: { ids: { values: [1, 3, 1, 1] } },
      build: (g) => ({ y: scatterAdd(inp(g, "ids", [4], "int32"), inp(g, "u", [4, 3]), [5, 3]) }),
    },
    {
      // The gradient of an embedding lookup at training size: 8,192 rows into 64 (≈ 128 per row).
      // A backend that adds duplicate indices from several threads without care loses updates
      // (onnxruntime's ScatterND with reduction "add" does, now and then); eight runs of one compiled graph.
      name: "scatterAdd/many-duplicates-training-size",
      verify: async (backend) => {
        const [n, width, rows] = [8192, 256, 64];
        const g = new Graph();
        g.output(
          "y",
          scatterAdd(g.input("ids", "int32", [n]), g.input("u", "float32", [n, width]), [rows, width]),
        );
        const ids = randomHostTensor("int32", [n], "scatterAdd/ids", { range: [0, rows] });
        const u = randomHostTensor("float32", [n, width], "scatterAdd/u");
        const want = new Float64Array(rows * width);
        for (let i = 0; i < n; i++) {
          const r = ids.data[i]!;
          for (let k = 0; k < width; k++) want[r * width + k]! += u.data[i * width + k]!;
        }
        const exe = await backend.compile(g);
        const failures: string[] = [];
        try {
          for (let run = 0; run < 8; run++) {
            const y = (await exe.run({ ids, u })).y!;
            let worst = 0;
            for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i]! - want[i]!));
            // float32 sums of ~128 terms in [-1, 1): rounding error ≲ 1e-5
            if (worst > 1e-4)
              failures.push(`run ${run + 1}: largest error ${worst.toExponential(2)} (allowed 1e-4)`);
          }
        } finally {
          exe.dispose();
        }
        return failures;
      },
    },
    {
      name: "scatterAdd/2d-indices",
      feeds: { ids: { range: [0, 4] } },
      build: (g) => ({ y: scatterAdd(inp(g, "ids", [2, 3], "int32"), inp(g, "u", [2, 3, 2]), [4, 2]) }),
    },
    {
      name: "oneHot/in-range",
      feeds: { ids: { range: [0, 4] } },
      build: (g) => ({ y: oneHot(inp(g, "ids", [2, 3], "int32"), 4) }),
    },
    {
      name: "oneHot/out-of-range-zero-rows",
      feeds: { ids: { values: [0, -1, 3, 2, -100, 7] } },
      build: (g) => ({ y: oneHot(inp(g, "ids", [6], "int32"), 3) }),
    },
    {
      // depth 1 is legal in the IR (a sequence of one position); TF.js's own oneHot refuses it
      name: "oneHot/depth-1",
      feeds: { ids: { values: [0, 1, -1, 0] } },
      build: (g) => ({ y: oneHot(inp(g, "ids", [4], "int32"), 1) }),
    },
  ];
}

/** Forward cases of reductions, layout ops, matmul and indexing. */
export const LAYOUT_CASES: readonly ConformanceCase[] = [
  ...reductionCases(),
  ...layoutCases(),
  ...matmulCases(),
  ...indexingCases(),
];
