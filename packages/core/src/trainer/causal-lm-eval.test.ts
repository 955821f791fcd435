import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { parseLlamaConfig } from "../models/llama/llama-config.js";
import { LlamaForCausalLM } from "../models/llama/llama-model.js";
import { ONE_LAYER_LLAMA } from "../models/llama/config.test-helpers.js";
import { countingRows } from "../testing/causal-lm-fit.js";
import { Trainer } from "./trainer.js";
import type { TrainerData, TrainerModel } from "./trainer-model.js";

// Rows of different lengths (so batches pad differently), -100 on a prompt of 1-2 tokens.
const rows = (n: number, seed: number): TrainerData =>
  countingRows(n, seed, { minLength: 3, lengthSpread: 5, promptLength: (r) => 1 + (r % 2) });
const tinyLlama = (): LlamaForCausalLM =>
  new LlamaForCausalLM(parseLlamaConfig(ONE_LAYER_LLAMA), { seed: 5 });

const trainer = (model: TrainerModel, evalBatchSize: number): Trainer =>
  new Trainer({ model, backend: createReferenceBackend(), batchSize: 4, evalBatchSize, epochs: 1 });

describe("Trainer.evaluate on a causal LM", () => {
  it("reports the loss per supervised token and perplexity = exp(loss), whatever the batching", async () => {
    const model = tinyLlama();
    const data = rows(7, 2);
    const whole = await trainer(model, 7).evaluate(data);
    const split = await trainer(model, 2).evaluate(data);
    expect(Object.keys(whole.metrics)).toEqual(["perplexity"]);
    expect(whole.metrics.perplexity).toBeCloseTo(Math.exp(whole.loss), 10);
    expect(Math.log(20) * 0.5).toBeLessThan(whole.loss);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    expect(split.numExamples).toBe(7);
  });

  it("needs no logits: a model whose forwardBatch returns only a loss is scored the same", async () => {
    const model = tinyLlama();
    const lossOnly: TrainerModel = {
      namedParameters: () => model.namedParameters(),
      batchFields: model.batchFields,
      trainerTask: "causal-lm",
      forwardBatch: (inputs, ctx) => ({ loss: model.forwardBatch(inputs, ctx).loss, outputs: {} }),
    };
    const data = rows(5, 3);
    const a = await trainer(model, 2).evaluate(data);
    const b = await trainer(lossOnly, 2).evaluate(data);
    expect(b.loss).toBeCloseTo(a.loss, 6);
    expect(b.metrics.perplexity).toBeCloseTo(a.metrics.perplexity!, 4);
  });

  it("refuses classification metrics with the ones a causal LM has", async () => {
    await expect(trainer(tinyLlama(), 2).evaluate(rows(3, 1), ["accuracy"])).rejects.toThrow(/perplexity/);
  });

  it("fit evaluates by perplexity and picks the best checkpoint by it (smaller is better)", async () => {
    const t = new Trainer({
      model: tinyLlama(),
      backend: createReferenceBackend(),
      batchSize: 4,
      epochs: 3,
      lr: 1e-2,
      schedule: "constant",
      metricForBest: "perplexity",
      evaluation: { atEpochEnd: true },
    });
    const fit = await t.fit(rows(8, 4), { evalData: rows(4, 5) });
    const ppl = fit.evaluations.map((e) => e.metrics.perplexity!);
    expect(ppl).toHaveLength(3);
    expect(ppl.at(-1)!).toBeLessThan(ppl[0]!);
    expect(fit.best?.value).toBe(Math.min(...ppl));
  });
});
