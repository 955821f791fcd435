import { BertForSequenceClassification, BertForTokenClassification } from "@tunekit/core";
import {
  BertModel,
  Gpt2LMHeadModel,
  LlamaForCausalLM,
  parseBertConfig,
  parseGpt2Config,
  parseLlamaConfig,
} from "@tunekit/core/models";
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
const GPT2 = parseGpt2Config({
  model_type: "gpt2",
  vocab_size: 20,
  n_embd: 8,
  n_layer: 2,
  n_head: 2,
  n_positions: 8,
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

  it("GPT-2 is CAUSAL_LM and a bare encoder FEATURE_EXTRACTION, for every adapter type", () => {
    expect(adapterTaskType(new Gpt2LMHeadModel(GPT2))).toBe("CAUSAL_LM");
    expect(adapterTaskType(new BertModel(BERT))).toBe("FEATURE_EXTRACTION");
    expect(peftTaskType(new BertModel(BERT))).toBe("FEATURE_EXTRACTION");
    const bare = configOf(lora({ r: 2 }).apply(new BertModel(BERT)));
    expect(bare).toMatchObject({
      task_type: "FEATURE_EXTRACTION",
      modules_to_save: null,
      fan_in_fan_out: false,
    });
  });

  it("decoders get PEFT's default targets per model_type; Conv1D targets are fan_in_fan_out", () => {
    const gpt2Lora = configOf(lora({ r: 2 }).apply(new Gpt2LMHeadModel(GPT2)));
    expect(gpt2Lora).toMatchObject({
      task_type: "CAUSAL_LM",
      target_modules: ["c_attn"],
      fan_in_fan_out: true,
    });
    const gpt2Ia3 = configOf(ia3().apply(new Gpt2LMHeadModel(GPT2)));
    expect(gpt2Ia3).toMatchObject({
      target_modules: ["c_attn", "mlp.c_proj"],
      feedforward_modules: ["mlp.c_proj"],
      fan_in_fan_out: true,
    });
    const llamaIa3 = configOf(ia3().apply(new LlamaForCausalLM(LLAMA)));
    expect(llamaIa3).toMatchObject({
      target_modules: ["k_proj", "v_proj", "down_proj"],
      feedforward_modules: ["down_proj"],
      fan_in_fan_out: false,
    });
    expect(configOf(lora({ r: 2 }).apply(new LlamaForCausalLM(LLAMA))).target_modules).toEqual([
      "q_proj",
      "v_proj",
    ]);
  });

  it("IA3 limited to some layers writes one target_modules regex (PEFT's IA3Config has no layers_to_transform)", () => {
    const adapted = ia3({ layersToTransform: [1] }).apply(new Gpt2LMHeadModel(GPT2));
    const config = configOf(adapted);
    expect(config).not.toHaveProperty("layers_to_transform");
    const regex = new RegExp(`^(?:${config.target_modules as string})$`);
    const wrapped = adapted
      .namedParameters()
      .filter(([p]) => p.endsWith("ia3_l"))
      .map(([p]) => p.replace(/\.ia3_l$/, ""));
    expect(wrapped).toEqual(["transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_proj"]);
    const all = new Gpt2LMHeadModel(GPT2).namedModules().map(([p]) => p);
    expect(all.filter((p) => regex.test(p))).toEqual(wrapped);
  });

  it("refuses one adapter over Conv1D and Linear layers together", () => {
    expect(() =>
      lora({ r: 2, targetModules: ["c_attn", "lm_head"] }).apply(
        new Gpt2LMHeadModel({ ...GPT2, tieWordEmbeddings: false }),
      ),
    ).toThrow(/mix Conv1D layers \(transformer\.h\.0\.attn\.c_attn\) and Linear layers \(lm_head\)/);
  });
});
