import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { mulberry32 } from "../../data/random.js";
import { Trainer } from "../../trainer/trainer.js";
import type { TrainerData } from "../../trainer/trainer-model.js";
import { parseLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { TINY_LLAMA } from "./config.test-helpers.js";

// The generic Trainer trains a decoder through forwardBatch: rows of token ids with causal-LM
// labels per token (the ids themselves, -100 on a one-token prompt); the Trainer pads ids
// with pad_token_id, the mask with 0 and the labels with -100 (right padding).
function counting(rows: number, seed: number): TrainerData {
  const rng = mulberry32(seed);
  const ids: Int32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const start = 3 + Math.floor(rng() * 8);
    const length = 4 + Math.floor(rng() * 4);
    ids.push(Int32Array.from({ length }, (_, t) => start + t)); // "count up from start"
  }
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((row) => new Int32Array(row.length)),
    lengths: Int32Array.from(ids, (row) => row.length),
    labels: undefined,
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
    tokenLabels: ids.map((row) => Int32Array.from(row, (id, t) => (t === 0 ? -100 : id))),
  };
}

describe("LlamaForCausalLM with the Trainer", () => {
  it("fit lowers the causal-LM loss on a learnable sequence task", async () => {
    const model = new LlamaForCausalLM(
      parseLlamaConfig({
        ...TINY_LLAMA,
        vocab_size: 20,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
      }),
      { seed: 4 },
    );
    const losses: number[] = [];
    const trainer = new Trainer({
      model,
      callbacks: [{ onStep: (info) => void losses.push(info.loss) }],
      backend: createReferenceBackend(),
      batchSize: 8,
      epochs: 6,
      lr: 1e-2,
      schedule: "constant",
      seed: 1,
    });
    const result = await trainer.fit(counting(16, 3));
    expect(result.step).toBe(12);
    expect(losses).toHaveLength(12);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
  });
});
