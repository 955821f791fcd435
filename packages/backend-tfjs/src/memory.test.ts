import * as tf from "@tensorflow/tfjs";
import { hostTensor } from "@tunekit/core";
import {
  add,
  attention,
  crossEntropy,
  div,
  dropout,
  type Graph,
  gather,
  gelu,
  layerNorm,
  matmul,
  max,
  mul,
  oneHot,
  reshape,
  scatterAdd,
  softmax,
  sub,
  sum,
  trace,
  transpose,
  where,
  greater,
} from "@tunekit/core/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTfjsBackend, type TfjsBackend } from "./index.js";

const N = 12; // tokens
const V = 20; // vocab
const H = 8; // hidden
const F = 16; // ffn
const C = 5; // classes

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648 - 0.5) * 0.5;
  }
  return out;
}

const params = {
  emb: hostTensor("float32", [V, H], rand(V * H, 1)),
  gamma: hostTensor("float32", [H], new Float32Array(H).fill(1)),
  beta: hostTensor("float32", [H], rand(H, 2)),
  w1: hostTensor("float32", [H, F], rand(H * F, 3)),
  w2: hostTensor("float32", [F, C], rand(F * C, 4)),
};

/** A forward pass plus hand-written gradient-like ops, like one training step would have. */
function trainingLikeGraph(): Graph {
  return trace((g) => {
    const bound = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [name, g.param({ name, value })]),
    ) as Record<keyof typeof params, ReturnType<Graph["param"]>>;
    const p = (name: keyof typeof params) => bound[name];
    const ids = g.input("ids", "int32", [N]);
    const labels = g.input("labels", "int32", [N]);
    const seed = g.input("seed", "int32", []);
    const e = gather(p("emb"), ids); // [N, H]
    const h = dropout(layerNorm(e, p("gamma"), p("beta"), 1e-12), 0.1, seed);
    const q = reshape(h, [1, 1, N, H]);
    const ctx = reshape(attention(q, q, q, g.input("bias", "float32", [1, 1, 1, N]), 0.35), [N, H]);
    const a = gelu(matmul(add(h, ctx), p("w1"))); // [N, F]
    const logits = matmul(a, p("w2")); // [N, C]
    const loss = crossEntropy(logits, labels);
    // gradient-like tail: dlogits = (softmax - onehot) / N, back through both matmuls
    const dlogits = div(sub(softmax(logits), oneHot(labels, C)), N);
    const dw2 = matmul(a, dlogits, { transposeA: true });
    const da = matmul(dlogits, p("w2"), { transposeB: true });
    const dh = matmul(where(greater(a, 0), da, 0), p("w1"), { transposeB: true });
    const demb = scatterAdd(ids, dh, [V, H]);
    const w2next = sub(p("w2"), mul(dw2, 0.1));
    return { loss, demb, w2next, gnorm: sum(mul(dw2, dw2)), top: max(transpose(logits), 1) };
  });
}

describe.each(["wasm", "cpu"] as const)("tfjs-%s memory", (engine) => {
  let backend: TfjsBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend({ engine, log: () => {} });
  });
  afterAll(() => backend.dispose());

  it("20 training-like steps leave tf.memory().numTensors exactly at its baseline after each run", async () => {
    const beforeCompile = tf.memory().numTensors;
    const exe = await backend.compile(trainingLikeGraph(), {
      constants: { emb: params.emb, gamma: params.gamma, beta: params.beta, w1: params.w1 },
    });
    const baseline = tf.memory().numTensors;
    expect(baseline).toBeGreaterThan(beforeCompile); // constants are resident
    let w2 = params.w2;
    let firstLoss = Number.NaN;
    for (let step = 0; step < 20; step++) {
      const ids = hostTensor(
        "int32",
        [N],
        Int32Array.from({ length: N }, (_, i) => (i * 7 + step) % V),
      );
      const labels = hostTensor(
        "int32",
        [N],
        Int32Array.from({ length: N }, (_, i) => (i % 4 === 3 ? -100 : (i + step) % C)),
      );
      const bias = hostTensor(
        "float32",
        [1, 1, 1, N],
        Float32Array.from({ length: N }, (_, i) => (i < N - 2 ? 0 : -1e9)),
      );
      const out = await exe.run({ ids, labels, bias, seed: hostTensor("int32", [], [step]), w2 });
      expect(tf.memory().numTensors).toBe(baseline);
      expect(Number.isFinite(out.loss!.data[0]!)).toBe(true);
      expect(out.demb!.shape).toEqual([V, H]);
      if (step === 0) firstLoss = out.loss!.data[0]!;
      w2 = out.w2next as typeof w2;
    }
    expect(firstLoss).toBeGreaterThan(0);
    exe.dispose();
    expect(tf.memory().numTensors).toBe(beforeCompile);
  });

  it("a kernel that throws mid-run still frees everything (and names the node)", async () => {
    const exe = await backend.compile(
      trace((g) => {
        const x = g.input("x", "float32", [3, 2]);
        const y = mul(add(x, 1), 2);
        return { z: gather(y, g.input("i", "int32", [1])) };
      }),
    );
    const baseline = tf.memory().numTensors;
    const x = hostTensor("float32", [3, 2], [1, 2, 3, 4, 5, 6]);
    await expect(exe.run({ x, i: hostTensor("int32", [1], [9]) })).rejects.toMatchObject({
      code: "BACKEND_EXECUTION",
      message: expect.stringContaining("gather"),
    });
    expect(tf.memory().numTensors).toBe(baseline);
    const ok = await exe.run({ x, i: hostTensor("int32", [1], [2]) });
    expect(Array.from(ok.z!.data)).toEqual([12, 14]);
    expect(tf.memory().numTensors).toBe(baseline);
    exe.dispose();
  });
});
