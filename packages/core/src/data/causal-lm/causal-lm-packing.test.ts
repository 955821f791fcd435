import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { Graph } from "../../ir/graph.js";
import { parseLlamaConfig } from "../../models/llama/llama-config.js";
import { LlamaForCausalLM } from "../../models/llama/llama-model.js";
import { TINY_LLAMA } from "../../models/llama/config.test-helpers.js";
import { EVAL_CONTEXT } from "../../modules/module.js";
import { stateDict } from "../../modules/state-dict.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { Trainer } from "../../trainer/trainer.js";
import { trainerBatch } from "../../trainer/trainer-data.js";
import type { CausalLmExample } from "./causal-lm-examples.js";
import { packCausalLm, packedAttentionFeeds } from "./causal-lm-packing.js";
import { tokenizeCausalLm } from "./causal-lm-tokenize.js";
import { byteLevelTokenizer } from "./test-tokenizer.js";

const tok = byteLevelTokenizer();

describe("packCausalLm", () => {
  it("packs rows in order into rows of at most maxLength; first token of each example unlabelled", () => {
    const examples: CausalLmExample[] = ["abc", "de", "fghij", "kl"].map((text) => ({
      format: "text",
      text,
    }));
    const data = tokenizeCausalLm(examples, tok, { maxLength: 8 });
    const packed = packCausalLm(data, { maxLength: 7 });
    expect(packed.ids.map((r) => tok.decode([...r]))).toEqual(["abcde", "fghijkl"]);
    expect(packed.segmentIds.map((r) => [...r])).toEqual([
      [1, 1, 1, 2, 2],
      [1, 1, 1, 1, 1, 2, 2],
    ]);
    expect([...packed.tokenLabels[0]!]).toEqual([-100, 98, 99, -100, 101]);
    expect(packed.numLossTokens).toBe(2 + 1 + 4 + 1);
    expect(() => packCausalLm(data, { maxLength: 4 })).toThrow(/row 2 has 5 tokens, more than maxLength 4/);
  });

  it("feeds: positions restart per example, block-diagonal mask, padding masked out", () => {
    const { position_ids, attention_mask } = packedAttentionFeeds(
      [Int32Array.of(1, 1, 2)],
      Int32Array.of(0),
      4,
    );
    expect([...position_ids.data]).toEqual([0, 1, 0, 0]);
    expect([...attention_mask.data]).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it("a packed row's logits equal each example run alone (to 1e-5), GQA Llama", async () => {
    const model = new LlamaForCausalLM(
      parseLlamaConfig({ ...TINY_LLAMA, vocab_size: tok.vocabSize, num_key_value_heads: 2 }),
      { seed: 5 },
    );
    const examples: CausalLmExample[] = ["the cat", "sat on", "the mat."].map((text) => ({
      format: "text",
      text,
    }));
    const data = tokenizeCausalLm(examples, tok, { maxLength: 32 });
    const packed = packCausalLm(data, { maxLength: 32 });
    expect(packed.ids).toHaveLength(1);
    const run = async (feeds: Record<string, ReturnType<typeof hostTensor>>): Promise<Float32Array> => {
      const g = new Graph();
      const inputs = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [name, g.input(name, "int32", t.shape)]),
      );
      const { outputs } = model.forwardBatch(inputs, EVAL_CONTEXT);
      g.output("logits", outputs.logits!);
      const exe = await createReferenceBackend().compile(g, { constants: stateDict(model) });
      return (await exe.run(feeds)).logits!.data as Float32Array;
    };
    const batch = trainerBatch(packed, Int32Array.of(0), "longest", false);
    expect(batch.feeds.attention_mask!.shape).toEqual([1, packed.lengths[0], packed.lengths[0]]);
    const together = await run(batch.feeds);
    const v = tok.vocabSize;
    let offset = 0;
    let maxDiff = 0;
    for (const ids of data.ids) {
      const n = ids.length;
      const alone = await run({
        input_ids: hostTensor("int32", [1, n], ids),
        attention_mask: hostTensor("int32", [1, n], new Int32Array(n).fill(1)),
      });
      for (let i = 0; i < n * v; i++)
        maxDiff = Math.max(maxDiff, Math.abs(alone[i]! - together[offset * v + i]!));
      offset += n;
    }
    expect(offset).toBe(packed.lengths[0]);
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it("the Trainer fits packed rows", async () => {
    const examples: CausalLmExample[] = Array.from({ length: 12 }, (_, i) => ({
      format: "prompt-completion",
      prompt: "abcdefgh"[i % 8]!,
      completion: "abcdefgh"[(i + 1) % 8]!,
    }));
    const packed = packCausalLm(tokenizeCausalLm(examples, tok, { maxLength: 8 }), { maxLength: 8 });
    expect(packed.ids).toHaveLength(3);
    const model = new LlamaForCausalLM(
      parseLlamaConfig({
        ...TINY_LLAMA,
        vocab_size: tok.vocabSize,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
      }),
      { seed: 3 },
    );
    const losses: number[] = [];
    await new Trainer({
      model,
      backend: createReferenceBackend(),
      callbacks: [{ onStep: (info) => void losses.push(info.loss) }],
      batchSize: 3,
      epochs: 10,
      lr: 3e-2,
      schedule: "constant",
      seed: 1,
    }).fit(packed);
    expect(losses).toHaveLength(10);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
  });
});
