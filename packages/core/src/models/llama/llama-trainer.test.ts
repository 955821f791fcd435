import { describe, expect, it } from "vitest";
import { parseLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { ONE_LAYER_LLAMA } from "./config.test-helpers.js";
import { countingRows, fitLosses } from "../../testing/causal-lm-fit.js";

// The generic Trainer trains a decoder through forwardBatch: rows of token ids with causal-LM
// labels per token (the ids themselves, -100 on a one-token prompt); the Trainer pads ids
// with pad_token_id, the mask with 0 and the labels with -100 (right padding).
describe("LlamaForCausalLM with the Trainer", () => {
  it("fit lowers the causal-LM loss on a learnable sequence task", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(ONE_LAYER_LLAMA), { seed: 4 });
    const { result, losses } = await fitLosses(model, countingRows(16, 3), { epochs: 6, lr: 1e-2 });
    expect(result.step).toBe(12);
    expect(losses).toHaveLength(12);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
  });
});
