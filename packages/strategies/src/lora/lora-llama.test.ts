import { createReferenceBackend, hostTensor, Linear } from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { EVAL_CONTEXT, LlamaForCausalLM, parseLlamaConfig, stateDict } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { lora } from "./lora.js";
import { LoraLinear } from "./lora-linear.js";

// LoRA on a Llama-family decoder: PEFT's default targets for these models are q_proj and
// v_proj, plain Linear layers of LlamaAttention. (PyTorch parity of the adapted decoder is
// peft-lora.parity.test.ts on the decoder fixtures.)
const CONFIG = parseLlamaConfig({
  model_type: "qwen2",
  vocab_size: 20,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
});

async function logitsOf(model: LlamaForCausalLM): Promise<Float32Array> {
  const g = new Graph();
  const { logits } = model.forward({ inputIds: g.input("input_ids", "int32", [1, 3]) }, EVAL_CONTEXT);
  g.output("logits", logits);
  const exe = await createReferenceBackend().compile(g, { constants: stateDict(model) });
  return (await exe.run({ input_ids: hostTensor("int32", [1, 3], [3, 7, 1]) })).logits!.data as Float32Array;
}

describe("lora on LlamaForCausalLM", () => {
  it("wraps q_proj and v_proj of every layer, trains only the adapters and starts as the base model", async () => {
    const base = new LlamaForCausalLM(CONFIG, { seed: 2 });
    const adapted = lora({ r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"] }).apply(base);
    const wrapped = adapted
      .namedModules()
      .filter(([, m]) => m instanceof LoraLinear)
      .map(([p]) => p);
    expect(wrapped).toEqual([
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.self_attn.v_proj",
      "model.layers.1.self_attn.q_proj",
      "model.layers.1.self_attn.v_proj",
    ]);
    expect(base.getSubmodule("model.layers.0.self_attn.q_proj")).toBeInstanceOf(Linear);
    const trainable = adapted.namedParameters().filter(([, p]) => p.trainable);
    expect(trainable.map(([n]) => n).every((n) => /\.lora_[AB]\.weight$/.test(n))).toBe(true);
    expect(trainable).toHaveLength(8);
    // the q_proj bias (Qwen2) keeps its Hugging Face name under the wrapper
    expect(adapted.namedParameters().map(([n]) => n)).toContain("model.layers.0.self_attn.q_proj.bias");
    expect(Array.from(await logitsOf(adapted))).toEqual(Array.from(await logitsOf(base)));
  });
});
