import {
  BertForSequenceClassification,
  BertForTokenClassification,
  LlamaForCausalLM,
  parseBertConfig,
  parseLlamaConfig,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { ia3 } from "../ia3/ia3.js";
import { lora } from "../lora/lora.js";
import { LoraLinear } from "../lora/lora-linear.js";
import { peftTaskType } from "../prompt/prompt-learning-peft.js";
import { adapterTaskType } from "./peft-task-type.js";
import { serializeAdapter } from "./save-adapter.js";

const LLAMA = parseLlamaConfig({
  model_type: "llama",
  vocab_size: 20,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
});
const BERT = parseBertConfig({
  model_type: "bert",
  vocab_size: 24,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 12,
  max_position_embeddings: 10,
});
const LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

function configOf(model: Parameters<typeof serializeAdapter>[0]): Record<string, unknown> {
  return JSON.parse(serializeAdapter(model).config) as Record<string, unknown>;
}

describe("PEFT task_type of saved adapters", () => {
  it("derives it from the model: causal LM, token classification, else sequence classification", () => {
    expect(adapterTaskType(new LlamaForCausalLM(LLAMA))).toBe("CAUSAL_LM");
    expect(adapterTaskType(new BertForTokenClassification(BERT, { numLabels: 3 }))).toBe("TOKEN_CLS");
    expect(adapterTaskType(new BertForSequenceClassification(BERT, { numLabels: 2 }))).toBe("SEQ_CLS");
    expect(peftTaskType(new LlamaForCausalLM(LLAMA))).toBe("CAUSAL_LM");
  });

  it("LoRA on q_proj … down_proj of a Llama: every projection of every layer wrapped, saved as CAUSAL_LM", () => {
    const adapted = lora({ r: 2, alpha: 4, targetModules: LLAMA_TARGETS }).apply(new LlamaForCausalLM(LLAMA));
    const wrapped = adapted
      .namedModules()
      .filter(([, m]) => m instanceof LoraLinear)
      .map(([p]) => p.split(".").at(-1));
    expect(wrapped).toHaveLength(2 * 7);
    expect(new Set(wrapped)).toEqual(new Set(LLAMA_TARGETS));
    const config = configOf(adapted);
    expect(config.task_type).toBe("CAUSAL_LM");
    expect(config.modules_to_save).toBeNull(); // no classifier head in a causal LM
    expect(config.target_modules).toEqual(LLAMA_TARGETS);
  });

  it("IA3 on a Llama is CAUSAL_LM; LoRA on BERT token / sequence classifiers keeps TOKEN_CLS / SEQ_CLS", () => {
    const ia3Llama = ia3({
      targetModules: ["k_proj", "v_proj", "down_proj"],
      feedforwardModules: ["down_proj"],
    }).apply(new LlamaForCausalLM(LLAMA));
    expect(configOf(ia3Llama).task_type).toBe("CAUSAL_LM");
    const tokenCls = lora({ r: 2 }).apply(new BertForTokenClassification(BERT, { numLabels: 3 }));
    expect(configOf(tokenCls)).toMatchObject({ task_type: "TOKEN_CLS", modules_to_save: ["classifier"] });
    const seqCls = lora({ r: 2 }).apply(new BertForSequenceClassification(BERT, { numLabels: 2 }));
    expect(configOf(seqCls)).toMatchObject({ task_type: "SEQ_CLS", modules_to_save: ["classifier"] });
  });
});
