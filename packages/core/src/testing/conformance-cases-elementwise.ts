import type { Graph, Tensor } from "../ir/graph.js";
import type { OpName } from "../ir/op-attrs.js";
import {
  abs,
  add,
  cast,
  div,
  equal,
  erf,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  sign,
  sqrt,
  sub,
  tanh,
  where,
} from "../ir/ops.js";
import type { DType } from "../tensor/host-tensor.js";
import type { ConformanceCase, FeedSpec } from "./conformance-case.js";

type BinaryFn = (a: Tensor | number, b: Tensor | number) => Tensor;
const f32 = (g: Graph, name: string, shape: number[], dtype: DType = "float32"): Tensor =>
  g.input(name, dtype, shape);

/** Safe operand ranges per arithmetic op (div away from 0, pow with a positive base). */
const ARITH: ReadonlyArray<[OpName, BinaryFn, FeedSpec, FeedSpec]> = [
  ["add", add, {}, {}],
  ["sub", sub, {}, {}],
  ["mul", mul, {}, {}],
  ["div", div, {}, { range: [0.5, 2] }],
  ["pow", pow, { range: [0.5, 2] }, { range: [-2, 2] }],
  ["maximum", maximum, {}, {}],
  ["minimum", minimum, {}, {}],
];

function arithmeticCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const [op, fn, sa, sb] of ARITH) {
    const feeds = { a: sa, b: sb };
    cases.push(
      {
        name: `${op}/same-shape`,
        feeds,
        build: (g) => ({ y: fn(f32(g, "a", [2, 3]), f32(g, "b", [2, 3])) }),
      },
      {
        name: `${op}/broadcast`,
        feeds,
        build: (g) => ({ y: fn(f32(g, "a", [2, 1, 3]), f32(g, "b", [4, 1])) }),
      },
      {
        name: `${op}/scalar-operand`,
        feeds,
        build: (g) => ({ y: fn(f32(g, "a", [3, 2]), op === "pow" ? 1.5 : op === "div" ? 0.75 : -0.25) }),
      },
    );
  }
  // int32: wrap-free small values; div truncates toward zero (negative numerators included).
  const intOps: ReadonlyArray<[OpName, BinaryFn, FeedSpec, FeedSpec]> = [
    ["add", add, { range: [-50, 50] }, { range: [-50, 50] }],
    ["sub", sub, { range: [-50, 50] }, { range: [-50, 50] }],
    ["mul", mul, { range: [-50, 50] }, { range: [-50, 50] }],
    ["div", div, { range: [-20, 20] }, { values: [1, 2, 3, -2, -3, 7] }],
    ["pow", pow, { range: [-3, 4] }, { values: [0, 1, 2, 3, 2, 1] }],
    ["maximum", maximum, { range: [-3, 3] }, { range: [-3, 3] }],
    ["minimum", minimum, { range: [-3, 3] }, { range: [-3, 3] }],
  ];
  for (const [op, fn, sa, sb] of intOps) {
    cases.push({
      name: `${op}/int32`,
      feeds: { a: sa, b: sb },
      build: (g) => ({ y: fn(f32(g, "a", [4, 6], "int32"), f32(g, "b", [6], "int32")) }),
    });
  }
  // Ties: integer-valued floats (maximum/minimum must pick an equal value either way).
  for (const [op, fn] of [
    ["maximum", maximum],
    ["minimum", minimum],
  ] as const) {
    cases.push({
      name: `${op}/ties`,
      feeds: { a: { range: [-2, 2], integer: true }, b: { range: [-2, 2], integer: true } },
      build: (g) => ({ y: fn(f32(g, "a", [3, 4]), f32(g, "b", [3, 4])) }),
    });
  }
  return cases;
}

function comparisonCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const ops: ReadonlyArray<[OpName, BinaryFn]> = [
    ["equal", equal],
    ["less", less],
    ["greater", greater],
    ["lessEqual", lessEqual],
    ["greaterEqual", greaterEqual],
  ];
  const ties: FeedSpec = { range: [-2, 2], integer: true }; // many equal pairs
  for (const [op, fn] of ops) {
    cases.push(
      {
        name: `${op}/broadcast-ties`,
        feeds: { a: ties, b: ties },
        build: (g) => ({ y: fn(f32(g, "a", [2, 1, 4]), f32(g, "b", [3, 4])) }),
      },
      { name: `${op}/random`, build: (g) => ({ y: fn(f32(g, "a", [5]), f32(g, "b", [5])) }) },
      {
        name: `${op}/int32-scalar`,
        feeds: { a: { range: [-3, 3] } },
        build: (g) => ({ y: fn(f32(g, "a", [2, 5], "int32"), 0) }),
      },
    );
  }
  return cases;
}

function unaryCases(): ConformanceCase[] {
  const u = (name: string, fn: (x: Tensor) => Tensor, spec: FeedSpec = {}, dtype: DType = "float32") => ({
    name,
    feeds: { x: spec },
    build: (g: Graph) => ({ y: fn(f32(g, "x", [3, 4], dtype)) }),
  });
  return [
    u("neg/float32", neg),
    u("neg/int32", neg, { range: [-10, 10] }, "int32"),
    u("exp/basic", exp, { range: [-5, 5] }),
    u("log/basic", log, { range: [0.05, 10] }),
    u("sqrt/basic", sqrt, { range: [0, 9] }),
    u("tanh/basic", tanh, { range: [-4, 4] }),
    u("erf/basic", erf, { range: [-3, 3] }),
    // erf saturates to ±1 in the tails: absolute error matters there.
    u("erf/tails", erf, { values: [-6, -4, -2.5, -1e-3, 0, 1e-3, 0.3, 0.7, 1.2, 2.5, 4, 6] }),
    u("abs/float32", abs, { range: [-3, 3] }),
    u("abs/int32", abs, { range: [-10, 10] }, "int32"),
    u("sign/float32-with-zeros", sign, { range: [-2, 3], integer: true }),
    u("sign/int32", sign, { range: [-3, 4] }, "int32"),
  ];
}

function whereCastCases(): ConformanceCase[] {
  return [
    {
      name: "where/same-shape",
      build: (g) => ({ y: where(f32(g, "c", [2, 3], "bool"), f32(g, "a", [2, 3]), f32(g, "b", [2, 3])) }),
    },
    {
      name: "where/broadcast-all-three",
      build: (g) => ({ y: where(f32(g, "c", [2, 1, 3], "bool"), f32(g, "a", [4, 1]), f32(g, "b", [3])) }),
    },
    {
      name: "where/scalar-branch",
      build: (g) => ({ y: where(greater(f32(g, "x", [3, 3]), 0), f32(g, "a", [3, 3]), -1e4) }),
    },
    {
      name: "where/int32",
      feeds: { a: { range: [-9, 9] }, b: { range: [-9, 9] } },
      build: (g) => ({
        y: where(f32(g, "c", [4], "bool"), f32(g, "a", [4], "int32"), f32(g, "b", [4], "int32")),
      }),
    },
    {
      name: "cast/float32-to-int32-truncates",
      feeds: { x: { values: [-2.7, -1.5, -0.5, -0.2, 0, 0.2, 0.5, 1.5, 2.7, 99.99, -99.99, 3] } },
      build: (g) => ({ y: cast(f32(g, "x", [12]), "int32") }),
    },
    {
      name: "cast/float32-to-bool",
      feeds: { x: { values: [0, 1, -1, 0.25, -0, 3, 0] } },
      build: (g) => ({ y: cast(f32(g, "x", [7]), "bool") }),
    },
    {
      name: "cast/int32-to-float32",
      feeds: { x: { range: [-1000, 1000] } },
      build: (g) => ({ y: cast(f32(g, "x", [2, 4], "int32"), "float32") }),
    },
    {
      name: "cast/int32-to-bool",
      feeds: { x: { range: [-2, 3] } },
      build: (g) => ({ y: cast(f32(g, "x", [8], "int32"), "bool") }),
    },
    { name: "cast/bool-to-float32", build: (g) => ({ y: cast(f32(g, "x", [6], "bool"), "float32") }) },
    { name: "cast/bool-to-int32", build: (g) => ({ y: cast(f32(g, "x", [6], "bool"), "int32") }) },
  ];
}

/** Forward cases of the elementwise ops: arithmetic, comparisons, unary math, where, cast. */
export const ELEMENTWISE_CASES: readonly ConformanceCase[] = [
  ...arithmeticCases(),
  ...comparisonCases(),
  ...unaryCases(),
  ...whereCastCases(),
];
