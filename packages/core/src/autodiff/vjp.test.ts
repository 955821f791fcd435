import { describe, expect, it } from "vitest";
import { attention, crossEntropy, gelu, layerNorm, logSoftmax, softmax } from "../ir/composites.js";
import { linearCrossEntropy } from "../ir/linear-cross-entropy.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { ALL_OPS, type OpName } from "../ir/op-attrs.js";
import {
  abs,
  add,
  broadcastTo,
  concat,
  div,
  erf,
  exp,
  gather,
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
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { checkGradients, type GradCheckInput } from "./finite-difference.js";
import { grad } from "./grad.js";
import { NON_DIFFERENTIABLE_OPS } from "./non-differentiable.js";
import { VJP_RULES } from "./vjp-rules.js";

/** Max allowed `|analytic − numeric| / max(1, |numeric|)` (float64, central differences, h = 1e-6). */
const TOLERANCE = 1e-7;

interface FdCase {
  /** The op whose VJP the case checks (must appear in the forward graph). */
  readonly op: OpName;
  readonly name: string;
  readonly inputs: Readonly<Record<string, GradCheckInput>>;
  readonly build: (t: Record<string, Tensor>) => Tensor;
}

const f = (shape: number[], range?: [number, number]): GradCheckInput =>
  range ? { shape, range } : { shape };
const pos: [number, number] = [0.5, 2];
// Broadcasting pair: a [2, 3, 4] with b [3, 1] (leading axis added, size-1 axis stretched).
const pair = (rb?: [number, number]) => ({ a: f([2, 3, 4]), b: f([3, 1], rb) });

const CASES: FdCase[] = [
  // ---- binary arithmetic (with broadcasting)
  { op: "add", name: "add broadcast", inputs: pair(), build: ({ a, b }) => add(a!, b!) },
  { op: "sub", name: "sub broadcast", inputs: pair(), build: ({ a, b }) => sub(b!, a!) },
  { op: "mul", name: "mul broadcast", inputs: pair(), build: ({ a, b }) => mul(a!, b!) },
  { op: "div", name: "div broadcast", inputs: pair(pos), build: ({ a, b }) => div(a!, b!) },
  {
    op: "pow",
    name: "pow wrt base and exponent",
    inputs: { a: f([2, 3, 4], pos), b: f([3, 1], [-1.5, 1.5]) },
    build: ({ a, b }) => pow(a!, b!),
  },
  { op: "pow", name: "pow negative base, int exponent", inputs: { a: f([5]) }, build: ({ a }) => pow(a!, 3) },
  { op: "maximum", name: "maximum broadcast", inputs: pair(), build: ({ a, b }) => maximum(a!, b!) },
  { op: "minimum", name: "minimum broadcast", inputs: pair(), build: ({ a, b }) => minimum(b!, a!) },
  // ---- unary
  { op: "neg", name: "neg", inputs: { x: f([3, 2]) }, build: ({ x }) => neg(x!) },
  { op: "exp", name: "exp", inputs: { x: f([3, 2]) }, build: ({ x }) => exp(x!) },
  { op: "log", name: "log", inputs: { x: f([3, 2], pos) }, build: ({ x }) => log(x!) },
  { op: "sqrt", name: "sqrt", inputs: { x: f([3, 2], pos) }, build: ({ x }) => sqrt(x!) },
  { op: "tanh", name: "tanh", inputs: { x: f([3, 2], [-2, 2]) }, build: ({ x }) => tanh(x!) },
  { op: "erf", name: "erf", inputs: { x: f([3, 2], [-2, 2]) }, build: ({ x }) => erf(x!) },
  {
    op: "abs",
    name: "abs (away from 0)",
    inputs: { x: { shape: [6], data: [-1.3, -0.4, 0.2, 0.7, -0.9, 1.6] } },
    build: ({ x }) => abs(x!),
  },
  {
    op: "where",
    name: "where broadcast",
    inputs: {
      c: { shape: [3, 4], dtype: "bool", data: [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0] },
      a: f([2, 3, 4]),
      b: f([4]),
    },
    build: ({ c, a, b }) => where(c!, a!, b!),
  },
  // ---- reductions
  { op: "sum", name: "sum axes [0, 2]", inputs: { x: f([2, 3, 4]) }, build: ({ x }) => sum(x!, [0, 2]) },
  { op: "sum", name: "sum keepDims", inputs: { x: f([2, 3, 4]) }, build: ({ x }) => sum(x!, 1, true) },
  { op: "sum", name: "sum all", inputs: { x: f([2, 3]) }, build: ({ x }) => sum(x!) },
  { op: "mean", name: "mean axis 1", inputs: { x: f([2, 3, 4]) }, build: ({ x }) => mean(x!, 1) },
  {
    op: "mean",
    name: "mean all keepDims",
    inputs: { x: f([2, 3]) },
    build: ({ x }) => mean(x!, [0, 1], true),
  },
  { op: "max", name: "max axis 1", inputs: { x: f([2, 3, 4]) }, build: ({ x }) => max(x!, 1) },
  { op: "max", name: "max all keepDims", inputs: { x: f([2, 3]) }, build: ({ x }) => max(x!, [0, 1], true) },
  // ---- layout
  { op: "reshape", name: "reshape", inputs: { x: f([2, 3, 4]) }, build: ({ x }) => reshape(x!, [6, 4]) },
  {
    op: "transpose",
    name: "transpose",
    inputs: { x: f([2, 3, 4]) },
    build: ({ x }) => transpose(x!, [2, 0, 1]),
  },
  {
    op: "broadcastTo",
    name: "broadcastTo",
    inputs: { x: f([3, 1]) },
    build: ({ x }) => broadcastTo(x!, [2, 3, 4]),
  },
  { op: "slice", name: "slice", inputs: { x: f([3, 4]) }, build: ({ x }) => slice(x!, [1, 1], [2, 2]) },
  { op: "pad", name: "pad", inputs: { x: f([2, 3]) }, build: ({ x }) => pad(x!, [1, 0], [0, 2]) },
  {
    op: "concat",
    name: "concat of three",
    inputs: { a: f([2, 1, 3]), b: f([2, 2, 3]), c: f([2, 3, 3]) },
    build: ({ a, b, c }) => concat([a!, b!, c!], 1),
  },
  {
    op: "gather",
    name: "gather with repeated indices",
    inputs: { p: f([5, 3]), i: { shape: [2, 3], dtype: "int32", data: [0, 4, 2, 2, 0, 0] } },
    build: ({ p, i }) => gather(p!, i!),
  },
  {
    op: "scatterAdd",
    name: "scatterAdd with repeated indices",
    inputs: { i: { shape: [4], dtype: "int32", data: [1, 3, 1, 0] }, u: f([4, 3]) },
    build: ({ i, u }) => scatterAdd(i!, u!, [5, 3]),
  },
  // ---- matmul
  ...([false, true] as const).flatMap((tA) =>
    ([false, true] as const).map(
      (tB): FdCase => ({
        op: "matmul",
        name: `matmul 2-D transposeA=${tA} transposeB=${tB}`,
        inputs: { a: f(tA ? [4, 3] : [3, 4]), b: f(tB ? [5, 4] : [4, 5]) },
        build: ({ a, b }) => matmul(a!, b!, { transposeA: tA, transposeB: tB }),
      }),
    ),
  ),
  {
    op: "matmul",
    name: "matmul rank-3 x rank-2 weight (transposeB)",
    inputs: { x: f([2, 3, 4]), w: f([5, 4]) },
    build: ({ x, w }) => matmul(x!, w!, { transposeB: true }),
  },
  {
    op: "matmul",
    name: "matmul rank-3 x rank-2 weight",
    inputs: { x: f([2, 3, 4]), w: f([4, 5]) },
    build: ({ x, w }) => matmul(x!, w!),
  },
  {
    op: "matmul",
    name: "matmul rank-3 (transposeA) x rank-2",
    inputs: { x: f([2, 4, 3]), w: f([4, 5]) },
    build: ({ x, w }) => matmul(x!, w!, { transposeA: true }),
  },
  {
    op: "matmul",
    name: "matmul rank-2 x rank-3",
    inputs: { a: f([3, 4]), b: f([2, 5, 4]) },
    build: ({ a, b }) => matmul(a!, b!, { transposeB: true }),
  },
  {
    op: "matmul",
    name: "matmul broadcast batch [2,1] x [3]",
    inputs: { a: f([2, 1, 3, 4]), b: f([3, 4, 2]) },
    build: ({ a, b }) => matmul(a!, b!),
  },
  // ---- composites
  {
    op: "softmax",
    name: "softmax last axis",
    inputs: { x: f([2, 5], [-2, 2]) },
    build: ({ x }) => softmax(x!),
  },
  {
    op: "softmax",
    name: "softmax axis 0",
    inputs: { x: f([3, 2, 2], [-2, 2]) },
    build: ({ x }) => softmax(x!, 0),
  },
  {
    op: "logSoftmax",
    name: "logSoftmax axis 1",
    inputs: { x: f([2, 4, 2], [-2, 2]) },
    build: ({ x }) => logSoftmax(x!, 1),
  },
  {
    op: "layerNorm",
    name: "layerNorm rank 3",
    inputs: { x: f([2, 3, 4], [-2, 2]), g: f([4], pos), b: f([4]) },
    build: ({ x, g, b }) => layerNorm(x!, g!, b!, 1e-5),
  },
  {
    op: "layerNorm",
    name: "layerNorm rank 1",
    inputs: { x: f([5], [-2, 2]), g: f([5], pos), b: f([5]) },
    build: ({ x, g, b }) => layerNorm(x!, g!, b!, 1e-12),
  },
  { op: "gelu", name: "gelu erf", inputs: { x: f([2, 4], [-3, 3]) }, build: ({ x }) => gelu(x!) },
  { op: "gelu", name: "gelu tanh", inputs: { x: f([2, 4], [-3, 3]) }, build: ({ x }) => gelu(x!, "tanh") },
  {
    op: "attention",
    name: "attention, per-key bias",
    inputs: { q: f([1, 2, 3, 4]), k: f([1, 2, 5, 4]), v: f([1, 2, 5, 4]), bias: f([1, 1, 1, 5]) },
    build: ({ q, k, v, bias }) => attention(q!, k!, v!, bias!, 0.5),
  },
  {
    op: "attention",
    name: "attention, full bias",
    inputs: { q: f([2, 1, 3, 2]), k: f([2, 1, 4, 2]), v: f([2, 1, 4, 2]), bias: f([2, 1, 3, 4]) },
    build: ({ q, k, v, bias }) => attention(q!, k!, v!, bias!, 1.3),
  },
  {
    op: "crossEntropy",
    name: "crossEntropy with an ignored row",
    inputs: { x: f([4, 3], [-2, 2]), y: { shape: [4], dtype: "int32", data: [2, -100, 0, 2] } },
    build: ({ x, y }) => crossEntropy(x!, y!),
  },
  {
    op: "crossEntropy",
    name: "crossEntropy all ignored",
    inputs: { x: f([2, 3]), y: { shape: [2], dtype: "int32", data: [-1, -1] } },
    build: ({ x, y }) => crossEntropy(x!, y!, -1),
  },
  {
    op: "linearCrossEntropy",
    name: "linearCrossEntropy in chunks of 2 with an ignored row",
    inputs: {
      h: f([5, 3], [-2, 2]),
      w: f([4, 3], [-2, 2]),
      y: { shape: [5], dtype: "int32", data: [3, -100, 0, 1, 3] },
    },
    build: ({ h, w, y }) => linearCrossEntropy(h!, w!, y!, { chunkRows: 2 }),
  },
  {
    op: "linearCrossEntropy",
    name: "linearCrossEntropy in one chunk, all rows ignored",
    inputs: { h: f([2, 3]), w: f([3, 3]), y: { shape: [2], dtype: "int32", data: [-1, -1] } },
    build: ({ h, w, y }) => linearCrossEntropy(h!, w!, y!, { ignoreIndex: -1 }),
  },
  {
    op: "layerNorm",
    name: "small transformer block (accumulation through shared tensors)",
    inputs: {
      x: f([1, 3, 4]),
      wq: f([4, 4]),
      wo: f([2, 4]),
      g: f([4], pos),
      b: f([4]),
      labels: { shape: [3], dtype: "int32", data: [1, 0, 1] },
    },
    build: ({ x, wq, wo, g, b, labels }) => {
      const h = layerNorm(x!, g!, b!, 1e-5);
      const q = reshape(matmul(h, wq!), [1, 1, 3, 4]);
      const zeroBias = mul(sum(q, [0, 1, 2, 3], true), 0);
      const ctx = reshape(attention(q, q, q, zeroBias, 0.5), [1, 3, 4]);
      const logits = matmul(gelu(add(ctx, h)), wo!, { transposeB: true });
      return crossEntropy(reshape(logits, [3, 2]), labels!);
    },
  },
];

describe("VJP rules vs float64 central differences", () => {
  let worst = 0;
  for (const c of CASES) {
    it(`${c.op}: ${c.name}`, () => {
      const r = checkGradients(c.inputs, c.build);
      expect(r.ops.has(c.op)).toBe(true);
      expect({ error: r.maxError, input: r.worstInput }).toSatisfy(
        (e: { error: number }) => e.error <= TOLERANCE,
      );
      worst = Math.max(worst, r.maxError);
    });
  }

  it("covers every op of the IR: an FD case or NON_DIFFERENTIABLE_OPS", () => {
    const covered = new Set<OpName>([...CASES.map((c) => c.op), ...NON_DIFFERENTIABLE_OPS]);
    expect(ALL_OPS.filter((op) => !covered.has(op))).toEqual([]);
    // Non-differentiable ops must not also be claimed as FD-tested (keeps the lists honest).
    expect(CASES.filter((c) => NON_DIFFERENTIABLE_OPS.includes(c.op)).map((c) => c.name)).toEqual([]);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("gradient check harness and subgradient conventions", () => {
  it("detects a wrong VJP rule", () => {
    const original = VJP_RULES.tanh;
    VJP_RULES.tanh = ({ cotangent, needs }) => [needs[0] ? cotangent : undefined]; // drops 1 - y²
    try {
      const r = checkGradients({ x: f([4], [-2, 2]) }, ({ x }) => tanh(x!));
      expect(r.maxError).toBeGreaterThan(1e-2);
    } finally {
      VJP_RULES.tanh = original!;
    }
  });

  const gradAt = (values: number[], build: (x: Tensor) => Tensor): number[] => {
    const g = new Graph();
    const x = g.input("x", "float32", [values.length]);
    g.output("dx", grad(build(x), [x])[0]!);
    const feeds = {
      x: { dtype: "float32" as const, shape: [values.length], data: Float64Array.from(values) },
    };
    return [...evaluateGraphFloat64(g, feeds).dx!.data];
  };

  it("max splits the gradient equally among tied maxima", () => {
    expect(gradAt([1, 3, 3, 2], (x) => max(x))).toEqual([0, 0.5, 0.5, 0]);
  });

  it("maximum and minimum send the gradient to the first operand on ties", () => {
    expect(gradAt([1, 2, 3], (x) => sum(maximum(x, 2)))).toEqual([0, 1, 1]);
    expect(gradAt([1, 2, 3], (x) => sum(minimum(x, 2)))).toEqual([1, 1, 0]);
  });

  it("abs has gradient 0 at 0 and pow's exponent gradient is 0 for a non-positive base", () => {
    expect(gradAt([-2, 0, 2], (x) => sum(abs(x)))).toEqual([-1, 0, 1]);
    const g = new Graph();
    const a = g.input("a", "float32", [2]);
    const b = g.input("b", "float32", [2]);
    g.output("db", grad(sum(pow(a, b)), [b])[0]!);
    const feeds = {
      a: { dtype: "float32" as const, shape: [2], data: Float64Array.from([-2, 0]) },
      b: { dtype: "float32" as const, shape: [2], data: Float64Array.from([2, 2]) },
    };
    expect([...evaluateGraphFloat64(g, feeds).db!.data]).toEqual([0, 0]);
  });
});
