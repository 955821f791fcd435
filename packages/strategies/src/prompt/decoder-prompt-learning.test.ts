import { createReferenceBackend, type CausalLm, generate, hostTensor } from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import {
  Gpt2LMHeadModel,
  LlamaForCausalLM,
  parseGpt2Config,
  parseLlamaConfig,
  stateDict,
} from "@tunekit/core/models";
import { countingRows, fitLosses } from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";
import { prefixTuning } from "../prefix/prefix-tuning.js";
import { promptTuning } from "./prompt-tuning.js";

const GPT2 = parseGpt2Config({
  model_type: "gpt2",
  vocab_size: 20,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  n_positions: 16,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
  initializer_range: 0.5, // a frozen base whose activations a prompt can steer
});
const LLAMA = parseLlamaConfig({
  model_type: "llama",
  vocab_size: 20,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  initializer_range: 0.5,
});

async function fit(model: CausalLm): Promise<number[]> {
  // rows of 4..6 tokens: learnable from a few virtual tokens with the base frozen
  return (await fitLosses(model, countingRows(16, 3, { lengthSpread: 3 }), { epochs: 8, lr: 0.3 })).losses;
}

describe("prompt and prefix tuning on causal LMs", () => {
  it.each([
    [
      "prefix tuning on GPT-2",
      () => prefixTuning({ numVirtualTokens: 4 }).apply(new Gpt2LMHeadModel(GPT2, { seed: 2 })),
    ],
    [
      "prompt tuning on a Llama (GQA)",
      () => promptTuning({ numVirtualTokens: 4 }).apply(new LlamaForCausalLM(LLAMA, { seed: 2 })),
    ],
  ])("%s: the Trainer trains only the table, and the loss falls", async (_, make) => {
    const model = make() as CausalLm;
    const trainable = model.namedParameters().filter(([, p]) => p.trainable);
    expect(trainable.map(([n]) => n)).toEqual(["prompt_encoder.embedding.weight"]);
    const frozen = model.namedParameters().find(([, p]) => !p.trainable)![1];
    const before = Float32Array.from(frozen.value.data as Float32Array);
    const losses = await fit(model);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.85);
    expect(frozen.value.data).toEqual(before);
  });

  it.each([
    [
      "prefix-tuned GPT-2",
      0,
      () => prefixTuning({ numVirtualTokens: 3, seed: 4 }).apply(new Gpt2LMHeadModel(GPT2, { seed: 5 })),
    ],
    [
      "prefix-tuned Llama (GQA)",
      0,
      () => prefixTuning({ numVirtualTokens: 3, seed: 4 }).apply(new LlamaForCausalLM(LLAMA, { seed: 5 })),
    ],
    [
      "prompt-tuned GPT-2",
      3,
      () => promptTuning({ numVirtualTokens: 3, seed: 4 }).apply(new Gpt2LMHeadModel(GPT2, { seed: 5 })),
    ],
    [
      "prompt-tuned Llama (GQA)",
      3,
      () => promptTuning({ numVirtualTokens: 3, seed: 4 }).apply(new LlamaForCausalLM(LLAMA, { seed: 5 })),
    ],
  ] as const)(
    "a %s generates: greedy equals recomputing the whole sequence, cache on or off, padded",
    async (_, virtual, make) => {
      const model = make() as CausalLm;
      const backend = createReferenceBackend();
      const prompts = [
        [5, 9, 4, 12, 7],
        [3, 8],
      ];
      // the reference: full forwards (the training path: prefix, or virtual tokens inline) and argmax of the last position
      const expected: number[][] = [];
      for (const prompt of prompts) {
        const ids = [...prompt];
        for (let t = 0; t < 5; t++) {
          const g = new Graph();
          const { logits } = model.forward({ inputIds: g.input("ids", "int32", [1, ids.length]) });
          g.output("logits", logits);
          const exe = await backend.compile(g, { constants: stateDict(model) });
          const out = (await exe.run({ ids: hostTensor("int32", [1, ids.length], Int32Array.from(ids)) }))
            .logits!;
          exe.dispose();
          const at = virtual + ids.length - 1;
          const last = Array.from(out.data.subarray(at * 20, (at + 1) * 20) as Float32Array);
          ids.push(last.indexOf(Math.max(...last)));
        }
        expected.push(ids.slice(prompt.length));
      }
      for (const kvCache of [true, false]) {
        const result = await generate(model, backend, prompts, {
          maxNewTokens: 5,
          stopTokenIds: [],
          kvCache,
        });
        expect(
          result.sequences.map((r) => r.tokens),
          `kvCache ${kvCache}`,
        ).toEqual(expected);
      }
    },
  );

  it("refuses the prefix MLP on decoders and applying twice", () => {
    const prompted = promptTuning({ numVirtualTokens: 2 }).apply(new Gpt2LMHeadModel(GPT2));
    expect(() =>
      prefixTuning({ numVirtualTokens: 2, projection: true }).apply(new Gpt2LMHeadModel(GPT2)),
    ).toThrow(/projection: true\) is not supported on causal LMs/);
    expect(() => prefixTuning({ numVirtualTokens: 2 }).apply(prompted)).toThrow(/already has a prompt table/);
  });
});
