import { hostTensor } from "@tunekit/core";
import {
  add,
  attention,
  crossEntropy,
  expandComposites,
  gather,
  gelu,
  layerNorm,
  logSoftmax,
  matmul,
  mean,
  mul,
  reshape,
  softmax,
  sum,
  trace,
} from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTfjsBackend, type TfjsBackend } from "./index.js";
import { mismatch } from "./tfjs.test-helpers.js";

const N = 6;
const V = 9;
const H = 4;
const C = 3;
const vals = (n: number, k: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + k) * 0.8);
const P = {
  emb: hostTensor("float32", [V, H], vals(V * H, 1)),
  gamma: hostTensor(
    "float32",
    [H],
    vals(H, 2).map((v) => 1 + v),
  ),
  beta: hostTensor("float32", [H], vals(H, 3)),
  w: hostTensor("float32", [H, C], vals(H * C, 4)),
};
const feeds = {
  ids: hostTensor("int32", [N], [1, 4, 4, 8, 0, 2]),
  labels: hostTensor("int32", [N], [0, 2, -100, 1, 1, 2]),
  bias: hostTensor("float32", [1, 1, 1, N], [0, 0, 0, 0, -1e9, 0]),
  ...P,
};

/** Loss through every composite, with gradients for every parameter (all VJP rules in play). */
const graph = () =>
  trace((g) => {
    const p = Object.fromEntries(Object.entries(P).map(([name, value]) => [name, g.param({ name, value })]));
    const e = gather(p.emb!, g.input("ids", "int32", [N]));
    const h = layerNorm(e, p.gamma!, p.beta!, 1e-5);
    const q = reshape(h, [1, 1, N, H]);
    const ctx = reshape(attention(q, q, q, g.input("bias", "float32", [1, 1, 1, N]), 0.5), [N, H]);
    const logits = matmul(gelu(add(h, ctx)), p.w!);
    const aux = mean(mul(softmax(logits, 0), logSoftmax(logits)));
    const loss = add(crossEntropy(logits, g.input("labels", "int32", [N])), mul(aux, 0.1));
    const grads = grad(loss, [p.emb!, p.gamma!, p.beta!, p.w!]);
    return { loss, dEmb: grads[0]!, dGamma: grads[1]!, dBeta: grads[2]!, dW: grads[3]!, s: sum(grads[3]!) };
  });

describe("gradient graphs (core grad) on tfjs", () => {
  let wasm: TfjsBackend;
  let cpu: TfjsBackend;
  beforeAll(async () => {
    wasm = await createTfjsBackend({ engine: "wasm", log: () => {} });
    cpu = await createTfjsBackend({ engine: "cpu", log: () => {} });
  });
  afterAll(() => {
    wasm.dispose();
    cpu.dispose();
  });

  it("fused composites agree with core's decomposition, and wasm agrees with cpu (tolerance 1e-4)", async () => {
    const fused = await (await wasm.compile(graph())).run(feeds);
    const decomposed = await (await wasm.compile(expandComposites(graph()).graph)).run(feeds);
    const onCpu = await (await cpu.compile(graph())).run(feeds);
    expect(fused.loss!.data[0]).toBeGreaterThan(0);
    expect(Array.from(fused.dEmb!.data).some((v) => v !== 0)).toBe(true);
    for (const name of Object.keys(fused)) {
      expect(
        mismatch(fused[name]!.data, decomposed[name]!.data, 1e-4),
        `${name} fused vs decomposed`,
      ).toBeUndefined();
      expect(mismatch(fused[name]!.data, onCpu[name]!.data, 1e-4), `${name} wasm vs cpu`).toBeUndefined();
    }
    // row 3 of the vocabulary is never gathered: its gradient is exactly zero
    expect(Array.from(fused.dEmb!.data.slice(3 * H, 4 * H))).toEqual([0, 0, 0, 0]);
  });
});
