import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  type Backend,
  type BertForSequenceClassification,
  createReferenceBackend,
  type Strategy,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { bitfit } from "./bitfit.js";
import { fullFineTuning, headOnly, lastNLayers, trainableByPattern } from "./freeze.js";
import { ia3 } from "./ia3/ia3.js";
import { lora } from "./lora/lora.js";
import { probeBatch, tinyBert } from "./testing/tiny-bert.js";
import { expectOnlyMethodParamsTrain } from "./testing/train-only-method-params.js";

async function train(
  model: BertForSequenceClassification,
  backend: Backend,
  steps: number,
  dropoutSeed?: number,
): Promise<number[]> {
  const runner = new TrainStepRunner({
    backend,
    ...(dropoutSeed === undefined ? {} : { dropout: true, seed: dropoutSeed }),
    params: model.parameters(),
    forward: trainerForward(model),
    optimizer: adamw({ weightDecay: 0.01 }),
  });
  const batch = probeBatch(4, 6, 3);
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) losses.push((await runner.step(batch, { lr: 0.02 })).loss);
  } finally {
    await runner.dispose();
  }
  return losses;
}

/** Expected trainable parameter paths of each method on the tiny 2-layer BERT. */
const CASES: [string, () => Strategy, (path: string) => boolean][] = [
  ["lora", () => lora({ r: 2, alpha: 4 }), (p) => /lora_[AB]\.weight$|^classifier\./.test(p)],
  [
    "rslora",
    () => lora({ r: 2, alpha: 4, useRslora: true }),
    (p) => /lora_[AB]\.weight$|^classifier\./.test(p),
  ],
  [
    "dora",
    () => lora({ r: 2, alpha: 4, useDora: true, modulesToSave: [] }),
    (p) => /lora_[AB]\.weight$|lora_magnitude_vector$/.test(p),
  ],
  ["ia3", () => ia3(), (p) => /ia3_l$|^classifier\./.test(p)],
  ["bitfit", () => bitfit(), (p) => p.endsWith(".bias") || p.startsWith("classifier.")],
  ["full", () => fullFineTuning(), () => true],
  ["head-only", () => headOnly(), (p) => p.startsWith("classifier.")],
  ["last-1-layer", () => lastNLayers(1), (p) => /layer\.1\.|pooler|^classifier\./.test(p)],
  ["pattern", () => trainableByPattern(["*.LayerNorm.*"], { head: [] }), (p) => p.includes("LayerNorm")],
];

describe("training adapted models: only the intended parameters change, the base model never does", () => {
  const backend = createReferenceBackend();
  for (const [name, make, expectTrained] of CASES) {
    it(`${name} (reference backend, 3 AdamW steps)`, async () => {
      const base = tinyBert(2);
      await expectOnlyMethodParamsTrain(make().apply(base), {
        base,
        backend,
        batch: probeBatch(4, 6, 3),
        steps: 3,
        lr: 0.02,
        weightDecay: 0.01,
        trained: expectTrained,
      });
    });
  }

  it("lora_dropout is active in training steps (seeds matter) and only there (rate 0: seeds do not)", async () => {
    const run = async (dropout: number, seed: number) =>
      train(lora({ r: 2, alpha: 4, dropout }).apply(tinyBert(2)), backend, 2, seed);
    const [a, b] = [await run(0.5, 1), await run(0.5, 2)];
    expect(a[0]).toBe(b[0]); // B = 0 at step 1: the adapter branch (and its dropout) adds nothing
    expect(Math.abs(a[1]! - b[1]!)).toBeGreaterThan(1e-7);
    const [c, d] = [await run(0, 1), await run(0, 2)];
    expect(c).toEqual(d);
  });

  it("lora on onnx-cpu: same parameters change and the losses match the reference backend (1e-4)", async () => {
    const onnx = await createOnnxBackend();
    try {
      const a = lora({ r: 2, alpha: 4 }).apply(tinyBert(2));
      const b = lora({ r: 2, alpha: 4 }).apply(tinyBert(2));
      const refLosses = await train(a, backend, 3);
      const onnxLosses = await train(b, onnx, 3);
      for (let i = 0; i < 3; i++) expect(Math.abs(onnxLosses[i]! - refLosses[i]!)).toBeLessThan(1e-4);
      for (const [path, p] of b.namedParameters()) {
        const ref = a.getParameter(path).value.data;
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(p.value.data[i]! - ref[i]!));
        expect(worst, path).toBeLessThan(1e-4);
      }
    } finally {
      onnx.dispose();
    }
  });
});
