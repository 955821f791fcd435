import { createReferenceBackend, hostTensor, Linear } from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { EVAL_CONTEXT, normalTensor, stateDict } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { describe, expect, it } from "vitest";
import { probeOutput } from "../merge.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { ia3 } from "./ia3.js";
import { Ia3Linear } from "./ia3-linear.js";

const backend = createReferenceBackend();

async function runLayer(layer: Ia3Linear, x: Float32Array, rows: number): Promise<Float32Array> {
  const g = new Graph();
  const xi = g.input("x", "float32", [rows, layer.inFeatures]);
  g.output("y", layer.forward(xi, EVAL_CONTEXT));
  const exe = await backend.compile(g, { constants: stateDict(layer) });
  return (await exe.run({ x: hostTensor("float32", [rows, layer.inFeatures], x) })).y!.data as Float32Array;
}

describe("ia3()", () => {
  it("scales key/value outputs and output.dense inputs (PEFT's BERT defaults), ones init, head trainable", () => {
    const base = tinyBert();
    const adapted = ia3().apply(base);
    const layers = adapted.namedModules().filter((e): e is [string, Ia3Linear] => e[1] instanceof Ia3Linear);
    expect(layers.map(([p, m]) => `${p}:${m.isFeedforward ? "ff" : "out"}`)).toEqual(
      [0, 1].flatMap((l) => [
        `bert.encoder.layer.${l}.attention.self.key:out`,
        `bert.encoder.layer.${l}.attention.self.value:out`,
        `bert.encoder.layer.${l}.attention.output.dense:ff`,
        `bert.encoder.layer.${l}.output.dense:ff`,
      ]),
    );
    for (const [, m] of layers) expect(Array.from(m.scaling.value.data).every((v) => v === 1)).toBe(true);
    expect(
      adapted
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n]) => n)
        .filter((n) => !n.endsWith("ia3_l")),
    ).toEqual(["classifier.weight", "classifier.bias"]);
    expect(base.getSubmodule("bert.encoder.layer.0.attention.self.key")).toBeInstanceOf(Linear);
  });

  it("configs Python PEFT's IA3Config would refuse are refused: RegExp targets with layers, feed-forward not a subset", () => {
    expect(() => ia3({ targetModules: /key|value/, layersToTransform: 1 })).toThrow(
      /ia3: layersToTransform cannot be combined with a RegExp targetModules/,
    );
    expect(() => ia3({ layersToTransform: [0] })).not.toThrow();
    // without feedforwardModules, the default feed-forward module is kept only when it is a target
    expect(ia3({ targetModules: ["key", "value"] }).options.feedforwardModules).toEqual([]);
    expect(ia3().options.feedforwardModules).toEqual(["output.dense"]);
    expect(() => ia3({ targetModules: ["key", "value"], feedforwardModules: ["output.dense"] })).toThrow(
      /feedforwardModules must be a subset of targetModules .*\["output\.dense"\] not in \["key","value"\]/,
    );
  });

  it("freshly applied leaves logits exactly unchanged; random vectors change them", async () => {
    const base = tinyBert();
    const batch = probeBatch();
    const ref = await probeOutput(base, backend, batch);
    const adapted = ia3().apply(base);
    expect(maxAbsDiff(await probeOutput(adapted, backend, batch), ref)).toBe(0);
    randomizeParameters(adapted, /ia3_l/, 3, 2);
    expect(maxAbsDiff(await probeOutput(adapted, backend, batch), ref)).toBeGreaterThan(1e-4);
  });

  it("forward: output scaling (x·Wᵀ + b)⊙l and input scaling (x⊙l)·Wᵀ + b, hand-computed (1e-6)", async () => {
    for (const ff of [false, true]) {
      const base = new Linear(4, 3, { rng: mulberry32(2), std: 0.5 });
      base.bias!.value = hostTensor("float32", [3], [0.5, -1, 2]);
      const layer = new Ia3Linear(base, ff);
      const l = ff ? [0.5, 2, -1, 3] : [2, -0.5, 1.5];
      layer.scaling.value = hostTensor("float32", ff ? [1, 4] : [3, 1], l);
      const x = normalTensor([2, 4], mulberry32(5), 1).data;
      const y = await runLayer(layer, x, 2);
      const w = base.weight.value.data;
      const expected: number[] = [];
      for (let r = 0; r < 2; r++) {
        for (let o = 0; o < 3; o++) {
          let s = 0;
          for (let i = 0; i < 4; i++) s += x[r * 4 + i]! * (ff ? l[i]! : 1) * w[o * 4 + i]!;
          s += base.bias!.value.data[o]!;
          expected.push(ff ? s : s * l[o]!);
        }
      }
      expect(maxAbsDiff(y, expected), ff ? "feed-forward" : "output").toBeLessThan(1e-6);
    }
  });
});
