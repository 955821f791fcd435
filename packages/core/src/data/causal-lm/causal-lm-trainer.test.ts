import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { parseLlamaConfig } from "../../models/llama/llama-config.js";
import { LlamaForCausalLM } from "../../models/llama/llama-model.js";
import { TINY_LLAMA } from "../../models/llama/config.test-helpers.js";
import { Trainer } from "../../trainer/trainer.js";
import type { CausalLmExample } from "./causal-lm-examples.js";
import { tokenizeCausalLm } from "./causal-lm-tokenize.js";
import { ChatTemplate } from "./chat-template.js";
import { byteLevelTokenizer, CHATML_TEMPLATE } from "./test-tokenizer.js";

describe("chat data through the Trainer", () => {
  it("a Llama learns assistant replies from ChatML rows (loss on assistant tokens only)", async () => {
    const tok = byteLevelTokenizer();
    const answers: Record<string, string> = { ab: "yes", cd: "no", ef: "yes", gh: "no" };
    const examples: CausalLmExample[] = Object.entries(answers).map(([q, a]) => ({
      format: "chat",
      messages: [
        { role: "user", content: q },
        { role: "assistant", content: a },
      ],
    }));
    const data = tokenizeCausalLm(examples, tok, {
      maxLength: 48,
      chatTemplate: new ChatTemplate(CHATML_TEMPLATE),
    });
    expect(data.numLossTokens).toBe(4 * 2 + 2 * 3 + 2 * 2); // "yes"/"no" bytes + <|im_end|> + "\n"
    const model = new LlamaForCausalLM(
      parseLlamaConfig({
        ...TINY_LLAMA,
        vocab_size: tok.vocabSize,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
        pad_token_id: tok.padId,
      }),
      { seed: 2 },
    );
    const losses: number[] = [];
    const trainer = new Trainer({
      model,
      backend: createReferenceBackend(),
      callbacks: [{ onStep: (info) => void losses.push(info.loss) }],
      batchSize: 4,
      epochs: 8,
      lr: 2e-2,
      schedule: "constant",
      seed: 1,
    });
    await trainer.fit(data);
    expect(losses).toHaveLength(8);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
  });
});
