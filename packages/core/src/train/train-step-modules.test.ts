import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { mulberry32 } from "../data/random.js";
import { crossEntropy } from "../ir/composites.js";
import type { Tensor } from "../ir/graph.js";
import { maximum } from "../ir/ops.js";
import { Dropout } from "../modules/dropout.js";
import { LayerNorm } from "../modules/layer-norm.js";
import { Linear } from "../modules/linear.js";
import { type ForwardContext, Module } from "../modules/module.js";
import { setTrainable } from "../modules/trainable.js";
import { adamw } from "../optim/adamw.js";
import { toyXorBatch } from "./toy-mlp.test-helpers.js";
import { TrainStepRunner } from "./train-step-runner.js";

class TinyClassifier extends Module {
  constructor(seed: number) {
    super();
    const rng = mulberry32(seed);
    this.registerModule("dense", new Linear(2, 16, { rng, std: 0.5 }));
    this.registerModule("LayerNorm", new LayerNorm(16));
    this.registerModule("dropout", new Dropout(0.1));
    this.registerModule("classifier", new Linear(16, 2, { rng, std: 0.5 }));
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    let h = this.child<Linear>("dense").forward(x);
    h = maximum(this.child<LayerNorm>("LayerNorm").forward(h), 0);
    h = this.child<Dropout>("dropout").forward(h, ctx);
    return this.child<Linear>("classifier").forward(h);
  }
}

describe("TrainStepRunner with modules (Parameter, Module.namedParameters)", () => {
  it("updates Parameter.value in place of the model, honours trainable flags and HF decay exclusion", async () => {
    const model = new TinyClassifier(3);
    setTrainable(model, ["dense", "LayerNorm"], false);
    const params = model.namedParameters().map(([, p]) => p);
    const frozen = params.filter((p) => !p.trainable).map((p) => [p.name, p.value] as const);
    expect(frozen.map(([n]) => n)).toEqual([
      "dense.weight",
      "dense.bias",
      "LayerNorm.weight",
      "LayerNorm.bias",
    ]);
    const runner = new TrainStepRunner({
      backend: createReferenceBackend(),
      params,
      forward: (_g, inputs, ctx) => {
        const logits = model.forward(inputs.x!, ctx);
        return { loss: crossEntropy(logits, inputs.labels!), logits };
      },
      optimizer: adamw({ weightDecay: 0.1, decayFilter: "hf" }),
      dropout: true,
      seed: 1,
    });
    const batch = toyXorBatch(16, 9);
    const before = (await runner.evaluate(batch)).loss!.data[0]!;
    let last = before;
    for (let i = 0; i < 15; i++) last = (await runner.step(batch, { lr: 0.05 })).loss;
    const after = (await runner.evaluate(batch)).loss!.data[0]!;
    expect(after).toBeLessThan(before);
    expect(Number.isFinite(last)).toBe(true);
    for (const [name, value] of frozen) expect(params.find((p) => p.name === name)!.value).toBe(value);
    expect(model.child<Linear>("classifier").weight.value).toBe(
      params.find((p) => p.name === "classifier.weight")!.value,
    );
    expect(Object.keys(runner.getState().optimizer).sort()).toEqual([
      "classifier.bias::m",
      "classifier.bias::v",
      "classifier.weight::m",
      "classifier.weight::v",
    ]);
  });
});
