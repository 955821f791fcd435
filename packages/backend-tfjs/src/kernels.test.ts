import { type HostTensor, hostTensor, type Tensor } from "@tunekit/core";
import {
  ALL_OPS,
  abs,
  add,
  attention,
  broadcastTo,
  cast,
  concat,
  constant,
  crossEntropy,
  div,
  dropoutMask,
  equal,
  erf,
  exp,
  full,
  type Graph,
  gather,
  gelu,
  greater,
  greaterEqual,
  layerNorm,
  less,
  lessEqual,
  linearCrossEntropy,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  type OpName,
  oneHot,
  pad,
  pow,
  reshape,
  scatterAdd,
  sign,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  tanh,
  transpose,
  where,
} from "@tunekit/core/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TfjsBackend, createTfjsBackend } from "./index.js";
import { TFJS_KERNELS } from "./kernels.js";
import { mismatch, runOnce } from "./tfjs.test-helpers.js";

const f32 = (shape: number[], data: number[]) => hostTensor("float32", shape, data);
const i32 = (shape: number[], data: number[]) => hostTensor("int32", shape, data);
const b8 = (shape: number[], data: number[]) => hostTensor("bool", shape, data);

interface Case {
  /** Ops this case exercises (for the coverage check). */
  ops: OpName[];
  build: (g: Graph) => Tensor;
  feeds?: Record<string, HostTensor>;
  expected: HostTensor;
  tol?: number;
}

const x23 = f32([2, 3], [1, -2, 3, 0.5, 0, -1]);
const gx = (g: Graph) => g.input("x", "float32", [2, 3]);
const erfRef = [-0.8427007929, 0, 0.5204998778, 0.995322265];
const sm = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
};

/** Hand-computed expectations, one or more per op of the IR. */
const CASES: Record<string, Case> = {
  "add/sub/mul broadcast": {
    ops: ["input", "add", "sub", "mul", "fill"],
    build: (g) => mul(sub(add(gx(g), g.input("r", "float32", [3])), 1), 2),
    feeds: { x: x23, r: f32([3], [10, 20, 30]) },
    expected: f32([2, 3], [20, 34, 64, 19, 38, 56]),
  },
  "div float": {
    ops: ["div"],
    build: (g) => div(gx(g), 4),
    feeds: { x: x23 },
    expected: f32([2, 3], [0.25, -0.5, 0.75, 0.125, 0, -0.25]),
  },
  "div int32 truncates toward zero": {
    ops: ["div"],
    build: (g) => div(g.input("a", "int32", [4]), g.input("b", "int32", [4])),
    feeds: { a: i32([4], [7, -7, 7, -7]), b: i32([4], [2, 2, -2, -2]) },
    expected: i32([4], [3, -3, -3, 3]),
  },
  pow: {
    ops: ["pow"],
    build: (g) => pow(g.input("a", "float32", [3]), 2),
    feeds: { a: f32([3], [-3, 0.5, 2]) },
    expected: f32([3], [9, 0.25, 4]),
  },
  "maximum/minimum": {
    ops: ["maximum", "minimum"],
    build: (g) => minimum(maximum(gx(g), 0), 2),
    feeds: { x: x23 },
    expected: f32([2, 3], [1, 0, 2, 0.5, 0, 0]),
  },
  comparisons: {
    ops: ["equal", "less", "greater", "lessEqual", "greaterEqual", "cast", "where"],
    build: (g) => {
      const a = g.input("a", "int32", [3]);
      const b = g.input("b", "int32", [3]);
      const asInt = (t: Tensor) => cast(t, "int32");
      // encode the 5 comparisons as digits: eq + 2 lt + 4 gt + 8 le + 16 ge
      const parts = [equal(a, b), less(a, b), greater(a, b), lessEqual(a, b), greaterEqual(a, b)];
      return parts.reduce<Tensor>((acc, p, k) => add(acc, mul(asInt(p), 2 ** k)), asInt(equal(a, a)));
    },
    feeds: { a: i32([3], [1, 2, 3]), b: i32([3], [2, 2, 2]) },
    expected: i32([3], [1 + 2 + 8, 1 + 1 + 8 + 16, 1 + 4 + 16]),
  },
  "unary float": {
    ops: ["neg", "exp", "log", "sqrt", "tanh", "abs", "sign"],
    build: (g) => {
      const a = g.input("a", "float32", [3]);
      return concat([neg(a), exp(a), log(abs(a)), sqrt(abs(a)), tanh(a), sign(a)], 0);
    },
    feeds: { a: f32([3], [-1, 0.5, 4]) },
    expected: f32(
      [18],
      [
        1,
        -0.5,
        -4,
        ...[-1, 0.5, 4].map(Math.exp),
        0,
        Math.log(0.5),
        Math.log(4),
        1,
        Math.sqrt(0.5),
        2,
        ...[-1, 0.5, 4].map(Math.tanh),
        -1,
        1,
        1,
      ],
    ),
  },
  "unary int32": {
    ops: ["neg", "abs", "sign"],
    build: (g) => {
      const a = g.input("a", "int32", [3]);
      return concat([neg(a), abs(a), sign(a)], 0);
    },
    feeds: { a: i32([3], [-2, 0, 5]) },
    expected: i32([9], [2, 0, -5, 2, 0, 5, -1, 0, 1]),
  },
  erf: {
    ops: ["erf"],
    build: (g) => erf(g.input("a", "float32", [4])),
    feeds: { a: f32([4], [-1, 0, 0.5, 2]) },
    expected: f32([4], erfRef),
    tol: 1e-6,
  },
  "where broadcast": {
    ops: ["where"],
    build: (g) => where(g.input("c", "bool", [2, 1]), gx(g), -1),
    feeds: { c: b8([2, 1], [1, 0]), x: x23 },
    expected: f32([2, 3], [1, -2, 3, -1, -1, -1]),
  },
  "cast float->int truncates, ->bool is !=0": {
    ops: ["cast"],
    build: (g) => {
      const a = g.input("a", "float32", [4]);
      return concat([cast(a, "int32"), cast(cast(a, "bool"), "int32")], 0);
    },
    feeds: { a: f32([4], [1.7, -1.7, 0, 2]) },
    expected: i32([8], [1, -1, 0, 2, 1, 1, 0, 1]),
  },
  "bool output": {
    ops: ["greater"],
    build: (g) => greater(gx(g), 0),
    feeds: { x: x23 },
    expected: b8([2, 3], [1, 0, 1, 1, 0, 0]),
  },
  reductions: {
    ops: ["sum", "mean", "max"],
    build: (g) => {
      const x = gx(g);
      return concat([sum(x, 1), mean(x, 0), reshape(max(x), [1])], 0);
    },
    feeds: { x: x23 },
    expected: f32([6], [2, -0.5, 0.75, -1, 1, 3]),
  },
  "reductions keepDims / int32": {
    ops: ["sum", "max"],
    build: (g) => {
      const a = g.input("a", "int32", [2, 2]);
      return concat([sum(a, 0, true), max(a, 0, true)], 0);
    },
    feeds: { a: i32([2, 2], [1, 5, 3, -4]) },
    expected: i32([2, 2], [4, 1, 3, 5]),
  },
  layout: {
    ops: ["transpose", "reshape", "slice", "pad", "broadcastTo", "concat"],
    build: (g) => {
      const t = transpose(gx(g)); // [3, 2]: 1 .5 / -2 0 / 3 -1
      const s = slice(t, [1, 0], [2, 2]); // -2 0 / 3 -1
      const p = pad(s, [0, 1], [0, 0]); // 0 -2 0 / 0 3 -1
      return concat([reshape(p, [6]), reshape(broadcastTo(g.input("r", "float32", [1]), [2]), [2])], 0);
    },
    feeds: { x: x23, r: f32([1], [7]) },
    expected: f32([8], [0, -2, 0, 0, 3, -1, 7, 7]),
  },
  "matmul batched, broadcast, transposed": {
    ops: ["matmul"],
    build: (g) =>
      matmul(g.input("a", "float32", [2, 1, 2]), g.input("b", "float32", [2, 2]), { transposeB: true }),
    feeds: { a: f32([2, 1, 2], [1, 2, 3, 4]), b: f32([2, 2], [1, 0, 1, 1]) },
    expected: f32([2, 1, 2], [1, 3, 3, 7]),
  },
  gather: {
    ops: ["gather", "constant"],
    build: (g) => gather(constant(g, "float32", [3, 2], [1, 2, 3, 4, 5, 6]), g.input("i", "int32", [2, 2])),
    feeds: { i: i32([2, 2], [2, 0, 2, 1]) },
    expected: f32([2, 2, 2], [5, 6, 1, 2, 5, 6, 3, 4]),
  },
  "scatterAdd sums duplicates, drops out-of-range": {
    ops: ["scatterAdd"],
    build: (g) => scatterAdd(g.input("i", "int32", [2, 2]), g.input("u", "float32", [2, 2, 2]), [3, 2]),
    feeds: { i: i32([2, 2], [0, 2, 0, 7]), u: f32([2, 2, 2], [1, 1, 2, 2, 3, 3, 4, 4]) },
    expected: f32([3, 2], [4, 4, 0, 0, 2, 2]),
  },
  "scatterAdd int32": {
    ops: ["scatterAdd"],
    build: (g) => scatterAdd(g.input("i", "int32", [3]), g.input("u", "int32", [3]), [2]),
    feeds: { i: i32([3], [1, 1, -1]), u: i32([3], [5, 6, 100]) },
    expected: i32([2], [0, 11]),
  },
  oneHot: {
    ops: ["oneHot"],
    build: (g) => oneHot(g.input("i", "int32", [3]), 3),
    feeds: { i: i32([3], [2, -1, 3]) },
    expected: f32([3, 3], [0, 0, 1, 0, 0, 0, 0, 0, 0]),
  },
  "fill int32": { ops: ["fill"], build: (g) => full(g, [2], 3, "int32"), expected: i32([2], [3, 3]) },
  softmax: {
    ops: ["softmax"],
    build: (g) => softmax(gx(g)),
    feeds: { x: x23 },
    expected: f32([2, 3], [...sm([1, -2, 3]), ...sm([0.5, 0, -1])]),
  },
  "softmax axis 0": {
    ops: ["softmax", "logSoftmax"],
    build: (g) => exp(logSoftmax(gx(g), 0)),
    feeds: { x: x23 },
    expected: f32(
      [2, 3],
      [
        sm([1, 0.5])[0]!,
        sm([-2, 0])[0]!,
        sm([3, -1])[0]!,
        sm([1, 0.5])[1]!,
        sm([-2, 0])[1]!,
        sm([3, -1])[1]!,
      ],
    ),
  },
  logSoftmax: {
    ops: ["logSoftmax"],
    build: (g) => logSoftmax(gx(g)),
    feeds: { x: x23 },
    expected: f32([2, 3], [...sm([1, -2, 3]), ...sm([0.5, 0, -1])].map(Math.log)),
  },
  layerNorm: {
    ops: ["layerNorm", "param"],
    build: (g) =>
      layerNorm(
        g.input("a", "float32", [1, 4]),
        g.param({ name: "gamma", value: f32([4], [1, 1, 1, 1]) }),
        g.param({ name: "beta", value: f32([4], [0, 0, 0, 0]) }),
        1e-5,
      ),
    feeds: { a: f32([1, 4], [1, 2, 3, 4]), gamma: f32([4], [1, 2, 1, 1]), beta: f32([4], [0, 0, 0, 1]) },
    // mean 2.5, var 1.25
    expected: f32(
      [1, 4],
      [-1.5, -0.5, 0.5, 1.5].map(
        (v, i) => (v / Math.sqrt(1.25 + 1e-5)) * [1, 2, 1, 1][i]! + [0, 0, 0, 1][i]!,
      ),
    ),
  },
  gelu: {
    ops: ["gelu"],
    build: (g) =>
      concat([gelu(g.input("a", "float32", [4])), gelu(g.input("a2", "float32", [4]), "tanh")], 0),
    feeds: { a: f32([4], [-1, 0, 0.5, 2]), a2: f32([4], [-1, 0, 0.5, 2]) },
    expected: f32(
      [8],
      [
        ...[-1, 0, 0.5, 2]
          .map((v) => 0.5 * v * (1 + (erfRef[[-1, 0, 0.5, 2].indexOf(v)] ?? 0) * 1))
          .map((_, i) => {
            const v = [-1, 0, 0.5, 2][i]!;
            return 0.5 * v * (1 + [-0.6826894921, 0, 0.3829249225, 0.9544997361][i]!); // erf(v/√2)
          }),
        ...[-1, 0, 0.5, 2].map(
          (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
        ),
      ],
    ),
    tol: 1e-5,
  },
  attention: {
    ops: ["attention"],
    build: (g) => {
      const q = g.input("q", "float32", [1, 1, 1, 2]);
      const kv = g.input("k", "float32", [1, 1, 2, 2]);
      return attention(q, kv, kv, g.input("bias", "float32", [1, 1, 1, 2]), 0.5);
    },
    feeds: {
      q: f32([1, 1, 1, 2], [1, 0]),
      k: f32([1, 1, 2, 2], [2, 0, 0, 4]),
      bias: f32([1, 1, 1, 2], [0, 0]),
    },
    // scores = [1, 0]; p = sm([1, 0]); out = p0·[2,0] + p1·[0,4]
    expected: f32([1, 1, 1, 2], [2 * sm([1, 0])[0]!, 4 * sm([1, 0])[1]!]),
  },
  crossEntropy: {
    ops: ["crossEntropy"],
    build: (g) => crossEntropy(gx(g), g.input("y", "int32", [2])),
    feeds: { x: x23, y: i32([2], [2, -100]) },
    expected: f32([], [-Math.log(sm([1, -2, 3])[2]!)]),
  },
  "crossEntropy out-of-range label picks 0 but counts": {
    ops: ["crossEntropy"],
    build: (g) => crossEntropy(gx(g), g.input("y", "int32", [2])),
    feeds: { x: x23, y: i32([2], [0, 3]) },
    expected: f32([], [-Math.log(sm([1, -2, 3])[0]!) / 2]),
  },
  "linearCrossEntropy in chunks of one row, one row ignored": {
    ops: ["linearCrossEntropy"],
    // logits = h · wᵀ = [[1, -2, 3], [0, 1, 2], [1, -2, 3]]
    build: (g) =>
      linearCrossEntropy(
        g.input("h", "float32", [3, 2]),
        g.input("w", "float32", [3, 2]),
        g.input("y", "int32", [3]),
        {
          chunkRows: 1,
        },
      ),
    feeds: {
      h: f32([3, 2], [1, 0, 0, 1, 1, 0]),
      w: f32([3, 2], [1, 0, -2, 1, 3, 2]),
      y: i32([3], [2, -100, 0]),
    },
    expected: f32([], [-(Math.log(sm([1, -2, 3])[2]!) + Math.log(sm([1, -2, 3])[0]!)) / 2]),
  },
  "crossEntropy all ignored": {
    ops: ["crossEntropy"],
    build: (g) => crossEntropy(gx(g), g.input("y", "int32", [2]), 5),
    feeds: { x: x23, y: i32([2], [5, 5]) },
    expected: f32([], [0]),
  },
};

describe.each(["wasm", "cpu"] as const)("tfjs-%s kernels against hand-computed values", (engine) => {
  let backend: TfjsBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend({ engine, log: () => {} });
  });
  afterAll(() => backend.dispose());

  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const { out } = await runOnce(backend, (g) => ({ out: c.build(g) }), c.feeds);
      expect(out!.dtype).toBe(c.expected.dtype);
      expect(out!.shape).toEqual(c.expected.shape);
      expect(mismatch(out!.data, c.expected.data, c.tol ?? 1e-5)).toBeUndefined();
    });
  }

  it("dropoutMask: deterministic per seed, values in {0, 1/(1-rate)}, about rate dropped", async () => {
    const build = (g: Graph) => ({ m: dropoutMask(g.input("seed", "int32", []), [4000], 0.25) });
    const a = (await runOnce(backend, build, { seed: i32([], [7]) })).m!.data;
    const b = (await runOnce(backend, build, { seed: i32([], [7]) })).m!.data;
    const c = (await runOnce(backend, build, { seed: i32([], [8]) })).m!.data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const zeros = Array.from(a).filter((v) => v === 0).length;
    expect(Array.from(a).every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(Math.abs(zeros / 4000 - 0.25)).toBeLessThan(0.03); // ~4.4 standard deviations
  });
});

describe("op coverage", () => {
  it("every op of ALL_OPS has a kernel (or is a leaf) and a hand-computed case", () => {
    const leaves = new Set(["input", "param", "constant"]);
    const missingKernel = ALL_OPS.filter((op) => !leaves.has(op) && !(op in TFJS_KERNELS));
    expect(missingKernel).toEqual([]);
    const tested = new Set(Object.values(CASES).flatMap((c) => c.ops));
    tested.add("dropoutMask");
    expect(ALL_OPS.filter((op) => !tested.has(op))).toEqual([]);
  });
});
