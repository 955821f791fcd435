import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { mulberry32 } from "../data/random.js";
import { parseLlamaConfig } from "../models/llama/llama-config.js";
import { LlamaForCausalLM } from "../models/llama/llama-model.js";
import { TINY_LLAMA } from "../models/llama/config.test-helpers.js";
import { Trainer } from "./trainer.js";
import type { TrainerData, TrainerModel } from "./trainer-model.js";

// Rows of different lengths (so batches pad differently), -100 on a prompt of 1-2 tokens.
function rows(n: number, seed: number): TrainerData {
  const rng = mulberry32(seed);
  const ids = Array.from({ length: n }, () => {
    const start = 3 + Math.floor(rng() * 8);
    return Int32Array.from({ length: 3 + Math.floor(rng() * 5) }, (_, t) => start + t);
  });
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((row) => new Int32Array(row.length)),
    lengths: Int32Array.from(ids, (row) => row.length),
    labels: undefined,
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
    tokenLabels: ids.map((row, r) => Int32Array.from(row, (id, t) => (t <= r % 2 ? -100 : id))),
  };
}

function tinyLlama(): LlamaForCausalLM {
  return new LlamaForCausalLM(
    parseLlamaConfig({
      ...TINY_LLAMA,
      vocab_size: 20,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
    }),
    { seed: 5 },
  );
}

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
