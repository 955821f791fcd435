import { createReferenceBackend, hostTensor, Linear } from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { EVAL_CONTEXT, normalTensor, stateDict } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { describe, expect, it } from "vitest";
import { probeOutput } from "../merge.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { lora } from "./lora.js";
import { LoraLinear } from "./lora-linear.js";

const backend = createReferenceBackend();
const Q = "bert.encoder.layer.0.attention.self.query";

/** y = x·Wᵀ + b on the host, float64. */
function hostLinear(
  x: Float32Array,
  rows: number,
  w: ArrayLike<number>,
  nOut: number,
  nIn: number,
  b?: ArrayLike<number>,
) {
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < nIn; i++) s += x[r * nIn + i]! * w[o * nIn + i]!;
      y[r * nOut + o] = s;
    }
  }
  return y;
}

async function runLayer(layer: LoraLinear, x: Float32Array, rows: number): Promise<Float32Array> {
  const g = new Graph();
  const xi = g.input("x", "float32", [rows, layer.inFeatures]);
  g.output("y", layer.forward(xi, EVAL_CONTEXT));
  const exe = await backend.compile(g, { constants: stateDict(layer) });
  return (await exe.run({ x: hostTensor("float32", [rows, layer.inFeatures], x) })).y!.data as Float32Array;
}

describe("lora()", () => {
  it("adds PEFT-named A [r, in] and B [out, r] to the targets, freezes the base and trains the head copy", () => {
    const base = tinyBert();
    const adapted = lora({ r: 4, alpha: 8 }).apply(base);
    const trainable = adapted.namedParameters().filter(([, p]) => p.trainable);
    expect(trainable.map(([n]) => n)).toEqual([
      ...[0, 1].flatMap((l) =>
        ["query", "value"].flatMap((m) => [
          `bert.encoder.layer.${l}.attention.self.${m}.lora_A.weight`,
          `bert.encoder.layer.${l}.attention.self.${m}.lora_B.weight`,
        ]),
      ),
      "classifier.weight",
      "classifier.bias",
    ]);
    expect(adapted.getParameter(`${Q}.lora_A.weight`).shape).toEqual([4, 8]);
    expect(adapted.getParameter(`${Q}.lora_B.weight`).shape).toEqual([8, 4]);
    // base weights are the same objects, frozen; head is a fresh object with the same value
    expect(adapted.getParameter(`${Q}.weight`)).toBe(base.getParameter(`${Q}.weight`));
    expect(adapted.getParameter(`${Q}.weight`).trainable).toBe(false);
    expect(adapted.getParameter("classifier.weight") === base.getParameter("classifier.weight")).toBe(false);
    expect(adapted.getParameter("classifier.weight").value).toBe(
      base.getParameter("classifier.weight").value,
    );
    // the base tree is as it was
    expect(base.getSubmodule(Q)).toBeInstanceOf(Linear);
    expect(base.namedParameters().some(([n]) => n.includes("lora"))).toBe(false);
  });

  it("initialises A kaiming-uniform(a=√5) (|A| ≤ 1/√in, spread like U(-b, b)) and B zeros", () => {
    const adapted = lora({ r: 64 }).apply(tinyBert());
    const a = adapted.getParameter(`${Q}.lora_A.weight`).value.data;
    const bound = 1 / Math.sqrt(8);
    expect(Math.max(...Array.from(a, Math.abs))).toBeLessThanOrEqual(bound);
    // variance of U(-b, b) is b²/3; 512 samples: within 20%
    const variance = Array.from(a).reduce((s, v) => s + v * v, 0) / a.length;
    expect(variance / ((bound * bound) / 3)).toBeGreaterThan(0.8);
    expect(variance / ((bound * bound) / 3)).toBeLessThan(1.2);
    expect(Array.from(adapted.getParameter(`${Q}.lora_B.weight`).value.data).every((v) => v === 0)).toBe(
      true,
    );
  });

  it("freshly applied LoRA and rsLoRA leave logits exactly unchanged; DoRA within 1e-6", async () => {
    const base = tinyBert();
    const batch = probeBatch();
    const ref = await probeOutput(base, backend, batch);
    for (const [opts, tol] of [
      [{ r: 4, alpha: 8 }, 0],
      [{ r: 4, alpha: 8, useRslora: true }, 0],
      [{ r: 2, alpha: 4, useDora: true, targetModules: ["query", "key", "value", "dense"] }, 1e-6],
    ] as const) {
      const out = await probeOutput(lora(opts).apply(base), backend, batch);
      expect(maxAbsDiff(out, ref), JSON.stringify(opts)).toBeLessThanOrEqual(tol);
    }
  });

  it("scale is alpha/r, or alpha/√r with rsLoRA; forward = x·Wᵀ + b + scale·x·Aᵀ·Bᵀ (hand-computed, 1e-5)", async () => {
    for (const useRslora of [false, true]) {
      const base = new Linear(5, 3, { rng: mulberry32(3), std: 0.5 });
      base.bias!.value = hostTensor("float32", [3], [0.1, -0.2, 0.3]);
      const layer = new LoraLinear(base, {
        r: 4,
        alpha: 6,
        dropout: 0,
        useRslora,
        useDora: false,
        rng: mulberry32(1),
      });
      expect(layer.scale).toBeCloseTo(useRslora ? 6 / 2 : 6 / 4, 12);
      layer.loraB.value = normalTensor([3, 4], mulberry32(9), 0.5);
      const x = normalTensor([2, 5], mulberry32(4), 1).data;
      const y = await runLayer(layer, x, 2);
      const xa = hostLinear(x, 2, layer.loraA.value.data, 4, 5);
      const xab = hostLinear(Float32Array.from(xa), 2, layer.loraB.value.data, 3, 4);
      const expected = hostLinear(x, 2, base.weight.value.data, 3, 5, base.bias!.value.data).map(
        (v, i) => v + layer.scale * xab[i]!,
      );
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
    }
  });

  it("DoRA: magnitude starts at the row norms of W; forward = (m/‖W+sBA‖)·(x·Wᵀ + s·x·AᵀBᵀ) + b (1e-5)", async () => {
    const base = new Linear(5, 3, { rng: mulberry32(3), std: 0.5 });
    base.bias!.value = hostTensor("float32", [3], [0.1, -0.2, 0.3]);
    const layer = new LoraLinear(base, {
      r: 2,
      alpha: 2,
      dropout: 0,
      useRslora: false,
      useDora: true,
      rng: mulberry32(1),
    });
    const w = base.weight.value.data;
    const norms = [0, 1, 2].map((o) => Math.hypot(...Array.from(w.slice(o * 5, o * 5 + 5))));
    expect(maxAbsDiff(layer.magnitude!.value.data, norms)).toBeLessThan(1e-6);
    layer.loraB.value = normalTensor([3, 2], mulberry32(9), 0.5);
    layer.magnitude!.value = hostTensor("float32", [3], [0.7, 1.3, 2.1]);
    const x = normalTensor([2, 5], mulberry32(4), 1).data;
    const y = await runLayer(layer, x, 2);
    // host: V = W + s·B·A, y = m/‖V‖ ⊙ (x·Vᵀ) + b
    const a = layer.loraA.value.data;
    const b = layer.loraB.value.data;
    const v = Array.from(w, (wv, idx) => {
      const o = Math.floor(idx / 5);
      const i = idx % 5;
      return wv + layer.scale * (b[o * 2]! * a[i]! + b[o * 2 + 1]! * a[5 + i]!);
    });
    const vn = [0, 1, 2].map((o) => Math.hypot(...v.slice(o * 5, o * 5 + 5)));
    const xv = hostLinear(x, 2, v, 3, 5);
    const expected = Array.from(xv, (val, idx) => {
      const o = idx % 3;
      return ([0.7, 1.3, 2.1][o]! / vn[o]!) * val + base.bias!.value.data[o]!;
    });
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
  });

  it("targetModules as a RegExp, layersToTransform, and a typo is an error naming the modules", () => {
    const base = tinyBert();
    const adapted = lora({
      targetModules: /.*layer\.1\.attention\.self\.(key|value)/,
      modulesToSave: [],
    }).apply(base);
    const wrapped = adapted
      .namedModules()
      .filter(([, m]) => m instanceof LoraLinear)
      .map(([p]) => p);
    expect(wrapped).toEqual([
      "bert.encoder.layer.1.attention.self.key",
      "bert.encoder.layer.1.attention.self.value",
    ]);
    expect(adapted.getParameter("classifier.weight").trainable).toBe(false);
    // Python PEFT's LoraConfig raises on a regex target_modules with layers_to_transform
    expect(() => lora({ targetModules: /query/, layersToTransform: [0] })).toThrow(
      /layersToTransform cannot be combined with a RegExp targetModules \("query"\)/,
    );
    const only0 = lora({ targetModules: ["query", "output.dense"], layersToTransform: 0 }).apply(base);
    expect(
      only0
        .namedModules()
        .filter(([, m]) => m instanceof LoraLinear)
        .map(([p]) => p),
    ).toEqual([
      "bert.encoder.layer.0.attention.self.query",
      "bert.encoder.layer.0.attention.output.dense",
      "bert.encoder.layer.0.output.dense",
    ]);
    expect(() => lora({ targetModules: ["qeury"] }).apply(base)).toThrow(/match no Linear module.*query/s);
    expect(() => lora({ r: 0 })).toThrow(/r must be a positive integer/);
    expect(() => lora({ targetModules: ["LayerNorm"] }).apply(base)).toThrow(
      /is a LayerNorm, expected a Linear/,
    );
  });

  it("random adapters change the logits (the test above can fail)", async () => {
    const base = tinyBert();
    const adapted = lora({ r: 4 }).apply(base);
    randomizeParameters(adapted, /lora_B/, 7, 5);
    const batch = probeBatch();
    expect(
      maxAbsDiff(await probeOutput(adapted, backend, batch), await probeOutput(base, backend, batch)),
    ).toBeGreaterThan(1e-3);
  });
});
