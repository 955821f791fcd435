import * as tk from "@tunekit/core/ir";
import * as autodiff from "@tunekit/core/autodiff";
import { afterAll, describe, expect, it } from "vitest";
import { f32, i32, testBackend } from "./onnx.test-helpers.js";

afterAll(async () => (await testBackend()).dispose());

/** Deterministic pseudo-random floats in [-scale, scale). */
function values(n: number, seed: number, scale = 0.5): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const B = 2;
const S = 3;
const H = 4;
const V = 5;
const param = (name: string, shape: number[], seed: number) => ({
  name,
  value: f32(
    shape,
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  ),
});
const PARAMS = [
  param("emb", [V, H], 1),
  param("ln.g", [H], 2),
  param("ln.b", [H], 3),
  param("wq", [H, H], 4),
  param("wk", [H, H], 5),
  param("wv", [H, H], 6),
  param("w1", [H, 2 * H], 7),
  param("head", [V, H], 8),
];

/** A one-layer, one-head transformer block with an MLM-style loss and its gradients. */
function trainingGraph(): tk.Graph {
  return tk.trace((g) => {
    const ids = g.input("ids", "int32", [B, S]);
    const labels = g.input("labels", "int32", [B * S]);
    const maskBias = g.input("maskBias", "float32", [B, 1, 1, S]);
    const p = Object.fromEntries(PARAMS.map((q) => [q.name, g.param(q)]));
    const x = tk.layerNorm(tk.gather(p.emb!, ids), p["ln.g"]!, p["ln.b"]!, 1e-5); // [B,S,H]
    const heads = (w: tk.Tensor) => tk.reshape(tk.matmul(x, w), [B, 1, S, H]);
    const ctx = tk.attention(heads(p.wq!), heads(p.wk!), heads(p.wv!), maskBias, 0.5);
    const h = tk.add(x, tk.reshape(ctx, [B, S, H]));
    const ff = tk.gelu(tk.matmul(h, p.w1!)); // [B,S,2H]
    const pooled = tk.add(tk.slice(ff, [0, 0, 0], [B, S, H]), tk.slice(ff, [0, 0, H], [B, S, H]));
    const logits = tk.matmul(tk.reshape(pooled, [B * S, H]), p.head!, { transposeB: true });
    const loss = tk.crossEntropy(tk.logSoftmax(logits), labels);
    const grads = autodiff.grad(
      loss,
      PARAMS.map((q) => p[q.name]!),
    );
    const out: Record<string, tk.Tensor> = { loss, probs: tk.softmax(logits) };
    PARAMS.forEach((q, i) => {
      out[`grad.${q.name}`] = grads[i]!;
    });
    return out;
  });
}

const FEEDS = {
  ids: i32([B, S], [1, 4, 4, 0, 2, 3]),
  labels: i32([B * S], [2, -100, 0, 4, -100, 1]),
  maskBias: f32([B, 1, 1, S], [0, 0, 0, 0, 0, -1e9]),
  ...Object.fromEntries(PARAMS.map((q) => [q.name, q.value])),
};

describe("training graph (forward + core grad) against the float64 reference backend", () => {
  for (const variant of ["fused composites", "decomposed composites"] as const) {
    it(`${variant}: loss, probabilities and every gradient agree to 1e-4`, async () => {
      const graph =
        variant === "fused composites" ? trainingGraph() : tk.expandComposites(trainingGraph()).graph;
      const backend = await testBackend();
      const exe = await backend.compile(graph);
      const got = await exe.run(FEEDS);
      exe.dispose();
      const want = tk.evaluateGraphFloat64(graph, FEEDS);
      for (const name of Object.keys(want)) {
        const a = got[name]!;
        const e = want[name]!;
        expect(a.shape, name).toEqual(e.shape);
        let worst = 0;
        for (let i = 0; i < e.data.length; i++) {
          worst = Math.max(worst, Math.abs(a.data[i]! - e.data[i]!) / (1e-3 + Math.abs(e.data[i]!)));
        }
        // float32 vs float64: relative error with a 1e-3 floor on the magnitude.
        expect(worst, `${name}: worst relative error`).toBeLessThan(1e-4);
      }
      // The gradient of the embedding comes through scatterAdd with a repeated id (4).
      expect([...got["grad.emb"]!.data].some((v) => v !== 0)).toBe(true);
    });
  }
});
