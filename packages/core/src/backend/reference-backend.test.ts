import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { attention, crossEntropy, gelu, layerNorm, logSoftmax, softmax } from "../ir/composites.js";
import { type Graph, type Tensor, trace } from "../ir/graph.js";
import {
  cast,
  concat,
  div,
  dropoutMask,
  erf,
  gather,
  matmul,
  max,
  mean,
  oneHot,
  pad,
  pow,
  scatterAdd,
  slice,
  sum,
  transpose,
} from "../ir/ops.js";
import { type DType, type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { createReferenceBackend, evaluateGraphFloat64 } from "./reference-backend.js";

const ht = (dtype: DType, shape: number[], data: number[]): HostTensor => hostTensor(dtype, shape, data);

/** Evaluates a one-output graph built by `fn` over inputs declared from `feeds`. */
function run1(feeds: Record<string, HostTensor>, fn: (t: Record<string, Tensor>) => Tensor): number[] {
  const g = trace((g: Graph) => {
    const t: Record<string, Tensor> = {};
    for (const [n, v] of Object.entries(feeds)) t[n] = g.input(n, v.dtype, v.shape);
    return { y: fn(t) };
  });
  return [...evaluateGraphFloat64(g, feeds).y!.data];
}

const close = (got: number[], want: number[], tol = 1e-12): void => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => {
    expect(Math.abs(v - want[i]!), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol);
  });
};

describe("reference kernels (hand-computed values)", () => {
  it("matmul broadcasts batch axes and honours transposes", () => {
    // a [2, 1, 2] (two 1x2 rows), b [2, 2] shared across the batch.
    const a = ht("float32", [2, 1, 2], [1, 2, 3, 4]);
    const b = ht("float32", [2, 2], [5, 6, 7, 8]);
    close(
      run1({ a, b }, (t) => matmul(t.a!, t.b!)),
      [1 * 5 + 2 * 7, 1 * 6 + 2 * 8, 3 * 5 + 4 * 7, 3 * 6 + 4 * 8],
    );
    // transposeB: a · bᵀ, bᵀ = [[5, 7], [6, 8]]
    close(
      run1({ a, b }, (t) => matmul(t.a!, t.b!, { transposeB: true })),
      [17, 23, 39, 53],
    );
    // transposeA on [2, 2]: aᵀ b with a = [[1, 2], [3, 4]]
    const sq = ht("float32", [2, 2], [1, 2, 3, 4]);
    close(
      run1({ sq, b }, (t) => matmul(t.sq!, t.b!, { transposeA: true })),
      [26, 30, 38, 44],
    );
    // batch [2, 1] x [1, 3] -> [2, 3] batches of 1x1 products
    const p = ht("float32", [2, 1, 1, 1], [2, 3]);
    const q = ht("float32", [1, 3, 1, 1], [1, 10, 100]);
    close(
      run1({ p, q }, (t) => matmul(t.p!, t.q!)),
      [2, 20, 200, 3, 30, 300],
    );
  });

  it("transpose, slice, pad and concat move the right elements", () => {
    const x = ht("float32", [2, 3], [0, 1, 2, 3, 4, 5]);
    close(
      run1({ x }, (t) => transpose(t.x!, [1, 0])),
      [0, 3, 1, 4, 2, 5],
    );
    const y = ht("float32", [2, 3, 2], [...Array(12).keys()]);
    close(
      run1({ y }, (t) => transpose(t.y!, [2, 0, 1])),
      [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11],
    );
    close(
      run1({ x }, (t) => slice(t.x!, [1, 1], [1, 2])),
      [4, 5],
    );
    close(
      run1({ x }, (t) => pad(t.x!, [0, 1], [1, 0])),
      [0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0],
    );
    close(
      run1({ x }, (t) => concat([t.x!, slice(t.x!, [0, 0], [2, 1])], 1)),
      [0, 1, 2, 0, 3, 4, 5, 3],
    );
    close(
      run1({ x }, (t) => concat([t.x!, t.x!], 0)),
      [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5],
    );
  });

  it("reductions honour axes and keepDims; max over rows", () => {
    const x = ht("float32", [2, 3], [1, -2, 3, 4, 5, -6]);
    close(
      run1({ x }, (t) => sum(t.x!, 0)),
      [5, 3, -3],
    );
    close(
      run1({ x }, (t) => mean(t.x!, -1, true)),
      [2 / 3, 1],
    );
    close(
      run1({ x }, (t) => max(t.x!, 1)),
      [3, 5],
    );
    close(
      run1({ x }, (t) => sum(t.x!)),
      [5],
    );
  });

  it("gather reads rows; scatterAdd sums duplicate indices; out-of-range gather throws", () => {
    const p = ht("float32", [3, 2], [1, 2, 3, 4, 5, 6]);
    const i = ht("int32", [2, 2], [2, 0, 2, 2]);
    close(
      run1({ p, i }, (t) => gather(t.p!, t.i!)),
      [5, 6, 1, 2, 5, 6, 5, 6],
    );
    const u = ht("float32", [2, 2, 2], [1, 1, 2, 2, 10, 10, 100, 100]);
    close(
      run1({ i, u }, (t) => scatterAdd(t.i!, t.u!, [3, 2])),
      [2, 2, 0, 0, 111, 111],
    );
    const bad = ht("int32", [1], [3]);
    expect(() => run1({ p, bad }, (t) => gather(t.p!, t.bad!))).toThrow(/out of range \[0, 3\)/);
    const neg = ht("int32", [1], [-1]);
    try {
      run1({ p, neg }, (t) => gather(t.p!, t.neg!));
      expect.unreachable();
    } catch (e) {
      expect(isTunekitError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("oneHot gives a zero row out of range; int32 div truncates; cast truncates toward zero", () => {
    close(
      run1({ i: ht("int32", [3], [1, 5, -1]) }, (t) => oneHot(t.i!, 3)),
      [0, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    const a = ht("int32", [4], [7, -7, 7, -7]);
    const b = ht("int32", [4], [2, 2, -2, -2]);
    close(
      run1({ a, b }, (t) => div(t.a!, t.b!)),
      [3, -3, -3, 3],
    );
    close(
      run1({ a, b }, (t) => pow(t.a!, t.b!)),
      [49, 49, 0, 0],
    );
    const f = ht("float32", [4], [1.7, -1.7, 0, -0.2]);
    close(
      run1({ f }, (t) => cast(t.f!, "int32")),
      [1, -1, 0, 0],
    );
    close(
      run1({ f }, (t) => cast(t.f!, "bool")),
      [1, 1, 0, 1],
    );
    const big = ht("int32", [1], [2147483647]);
    close(
      run1({ big }, (t) => pow(t.big!, 2)),
      [1],
    ); // (2^31 - 1)^2 wraps to 1 mod 2^32
  });

  it("erf is accurate to 1e-14 at known values", () => {
    const xs = [0.1, 0.5, 1, 2, 3.5, -1.5];
    const want = [
      0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999992569016276,
      -0.9661051464753108,
    ];
    const x = hostTensor("float32", [6], new Float32Array(xs));
    // Inputs are rounded to float32: compare at the rounded points via the float64 feed instead.
    const g = trace((g) => ({ y: erf(g.input("x", "float32", [6])) }));
    const y = evaluateGraphFloat64(g, { x: { dtype: "float32", shape: [6], data: Float64Array.from(xs) } })
      .y!;
    close([...y.data], want, 1e-14);
    expect(evaluateGraphFloat64(g, { x }).y!.data.length).toBe(6);
  });

  it("crossEntropy skips ignored rows and is 0 when all rows are ignored", () => {
    const logits = ht("float32", [3, 2], [0, 0, 1, 2, 5, 5]);
    const labels = ht("int32", [3], [0, -100, 1]);
    // rows 0 and 2: log(2) each
    close(
      run1({ logits, labels }, (t) => crossEntropy(t.logits!, t.labels!)),
      [Math.LN2],
      1e-12,
    );
    const all = ht("int32", [3], [7, 7, 7]);
    close(
      run1({ logits, all }, (t) => crossEntropy(t.logits!, t.all!, 7)),
      [0],
    );
    const l2 = ht("int32", [3], [1, 1, 0]);
    const want = (Math.log(2) + (Math.log(Math.E + Math.E ** 2) - 2) + Math.LN2) / 3;
    close(
      run1({ logits, l2 }, (t) => crossEntropy(t.logits!, t.l2!)),
      [want],
      1e-12,
    );
  });

  it("softmax, logSoftmax, layerNorm and gelu match hand values", () => {
    const x = ht("float32", [2, 2], [0, Math.log(3), 1, 1]);
    close(
      run1({ x }, (t) => softmax(t.x!, 1)),
      [0.25, 0.75, 0.5, 0.5],
      1e-7,
    );
    close(
      run1({ x }, (t) => logSoftmax(t.x!, 0)).slice(2),
      [Math.log(Math.E / (1 + Math.E)), 1 - Math.log(3 + Math.E)],
      1e-7,
    );
    const h = ht("float32", [1, 4], [1, 2, 3, 4]);
    const gamma = ht("float32", [4], [1, 1, 2, 2]);
    const beta = ht("float32", [4], [0, 0, 0, 1]);
    const s = 1 / Math.sqrt(1.25); // variance 1.25, eps 0
    close(
      run1({ h, gamma, beta }, (t) => layerNorm(t.h!, t.gamma!, t.beta!, 0)),
      [-1.5 * s, -0.5 * s, 2 * 0.5 * s, 2 * 1.5 * s + 1],
    );
    close(
      run1({ h }, (t) => gelu(t.h!)),
      [0.8413447460685429, 1.9544997361036416, 2.99595030590511, 3.9998733150326675],
      1e-12,
    );
  });

  it("attention applies the scale and drops masked keys", () => {
    // B=H=Sq=1, Sk=3, D=1; key 2 masked with a large negative bias.
    const q = ht("float32", [1, 1, 1, 1], [1]);
    const k = ht("float32", [1, 1, 3, 1], [0, Math.log(3) * 2, 5]);
    const v = ht("float32", [1, 1, 3, 1], [10, 20, 1000]);
    const bias = ht("float32", [1, 1, 1, 3], [0, 0, -1e9]);
    // scores = k * 0.5 -> [0, log 3, masked] -> weights [0.25, 0.75, 0]
    close(
      run1({ q, k, v, bias }, (t) => attention(t.q!, t.k!, t.v!, t.bias!, 0.5)),
      [17.5],
      1e-6,
    );
  });

  it("dropoutMask is deterministic per seed with values 0 or 1/(1-rate)", () => {
    const g = trace((g) => ({ m: dropoutMask(g.input("s", "int32", []), [1000], 0.2) }));
    const a = evaluateGraphFloat64(g, { s: ht("int32", [], [3]) }).m!.data;
    const b = evaluateGraphFloat64(g, { s: ht("int32", [], [3]) }).m!.data;
    const c = evaluateGraphFloat64(g, { s: ht("int32", [], [4]) }).m!.data;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    expect([...a].every((v) => v === 0 || v === 1.25)).toBe(true);
    const zeros = [...a].filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(150);
    expect(zeros).toBeLessThan(250);
  });
});

describe("createReferenceBackend", () => {
  const graph = trace((g) => {
    const x = g.input("x", "float32", [2]);
    const w = g.param({ name: "w", value: ht("float32", [2], [3, 4]) });
    return { y: mul2(x, w), n: cast(x, "int32") };
  });
  function mul2(a: Tensor, b: Tensor): Tensor {
    return matmul(
      transpose(a.graph.addNode("reshape", [a], { shape: [1, 2] }), [1, 0]),
      b.graph.addNode("reshape", [b], { shape: [1, 2] }),
    );
  }

  it("runs with constants and converts outputs to host dtypes", async () => {
    const exe = await createReferenceBackend().compile(graph, {
      constants: { w: ht("float32", [2], [3, 4]) },
    });
    const out = await exe.run({ x: ht("float32", [2], [1.5, -2.5]) });
    expect(out.y!.data).toBeInstanceOf(Float32Array);
    expect([...out.y!.data]).toEqual([4.5, 6, -7.5, -10]);
    expect(out.n!.data).toBeInstanceOf(Int32Array);
    expect([...out.n!.data]).toEqual([1, -2]);
  });

  it("validates feeds: unknown, missing, bound, wrong shape or dtype", async () => {
    const backend = createReferenceBackend();
    expect(backend.name).toBe("reference");
    const exe = await backend.compile(graph);
    const x = ht("float32", [2], [1, 2]);
    const w = ht("float32", [2], [1, 2]);
    await expect(exe.run({ x, w, z: x })).rejects.toThrow(/unknown feed "z"/);
    await expect(exe.run({ x })).rejects.toThrow(/missing feed\(s\): w/);
    await expect(exe.run({ x: ht("float32", [3], [1, 2, 3]), w })).rejects.toThrow(
      /feed "x": expected shape \[2\], received \[3\]/,
    );
    await expect(exe.run({ x: ht("int32", [2], [1, 2]), w })).rejects.toThrow(
      /feed "x": expected dtype float32.*received int32/,
    );
    const bound = await backend.compile(graph, { constants: { w } });
    await expect(bound.run({ x, w })).rejects.toThrow(/bound as a constant/);
    await expect(backend.compile(graph, { constants: { nope: w } })).rejects.toThrow(
      /neither an input nor a parameter/,
    );
    await expect(backend.compile(graph, { outputs: ["nope"] })).rejects.toThrow(/not an output/);
    const onlyN = await backend.compile(graph, { outputs: ["n"] });
    expect(Object.keys(await onlyN.run({ x }))).toEqual(["n"]); // w not needed
  });

  it("evaluateGraphFloat64 falls back to bound parameter values", () => {
    const out = evaluateGraphFloat64(graph, { x: ht("float32", [2], [1, 0]) }, ["y"]);
    expect([...out.y!.data]).toEqual([3, 4, 0, 0]);
    expect(() => evaluateGraphFloat64(graph, {})).toThrow(/missing feed\(s\): x/);
  });
});
