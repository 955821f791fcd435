import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../data/random.js";
import { isTunekitError } from "../../errors.js";
import { mutateJson, runHostileCase } from "../../testing/hostile-input.js";
import { isLlamaConfigJson, LLAMA_MODEL_TYPES, llamaConfigToJson, parseLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { llamaParameterCount } from "./llama-parameter-count.js";
import { TINY_LLAMA } from "./config.test-helpers.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isTunekitError(e) ? e.code : String(e);
  }
}

describe("parseLlamaConfig", () => {
  it("reads the Llama fixture config with Hugging Face defaults for what it omits", () => {
    const cfg = parseLlamaConfig(TINY_LLAMA);
    expect(cfg).toMatchObject({
      modelType: "llama",
      vocabSize: 96,
      hiddenSize: 32,
      numKeyValueHeads: 2,
      headDim: 8,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      qkvBias: false,
      outputBias: false,
      tieWordEmbeddings: false,
      padTokenId: 0,
      initializerRange: 0.02,
    });
    expect(cfg.extra).toEqual({ torch_dtype: "float32" });
    const bare = parseLlamaConfig({ ...TINY_LLAMA, num_key_value_heads: undefined, rope_theta: undefined });
    expect(bare.numKeyValueHeads).toBe(4);
    expect(bare.ropeTheta).toBe(10000);
  });

  it("Qwen2 always has q/k/v biases; Llama's attention_bias also biases o_proj; Mistral keeps its window", () => {
    const qwen = parseLlamaConfig({ ...TINY_LLAMA, model_type: "qwen2", attention_bias: undefined });
    expect([qwen.qkvBias, qwen.outputBias]).toEqual([true, false]);
    const llama = parseLlamaConfig({ ...TINY_LLAMA, attention_bias: true });
    expect([llama.qkvBias, llama.outputBias]).toEqual([true, true]);
    expect(parseLlamaConfig({ ...TINY_LLAMA, model_type: "mistral", sliding_window: 5 }).slidingWindow).toBe(
      5,
    );
    expect(parseLlamaConfig({ ...TINY_LLAMA, model_type: "mistral" }).slidingWindow).toBe(4096);
  });

  it("tells decoder configs from BERT ones by model_type, else by architectures", () => {
    expect(isLlamaConfigJson(TINY_LLAMA)).toBe(true);
    expect(isLlamaConfigJson({ architectures: ["Qwen2ForCausalLM"] })).toBe(true);
    expect(isLlamaConfigJson({ model_type: "bert", architectures: ["LlamaForCausalLM"] })).toBe(false);
    expect(isLlamaConfigJson({ architectures: ["BertForMaskedLM"] })).toBe(false);
    expect(isLlamaConfigJson([])).toBe(false);
    const { model_type: _, ...noType } = TINY_LLAMA;
    expect(parseLlamaConfig({ ...noType, architectures: ["MistralForCausalLM"] }).modelType).toBe("mistral");
  });

  it("round-trips through llamaConfigToJson", () => {
    for (const type of Object.keys(LLAMA_MODEL_TYPES)) {
      const cfg = parseLlamaConfig({ ...TINY_LLAMA, model_type: type, eos_token_id: [2, 3] });
      expect(parseLlamaConfig(llamaConfigToJson(cfg))).toEqual(cfg);
    }
  });

  it("refuses what it cannot build with CONFIG_INVALID naming the key, the value and the rule", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [
        { model_type: "bert" },
        /model_type must be one of llama, mistral, qwen2.*got model_type string "bert"/,
      ],
      [{ num_key_value_heads: 3 }, /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/],
      [
        { num_attention_heads: 5, num_key_value_heads: 5 },
        /num_attention_heads \(5\) must divide hidden_size \(32\)/,
      ],
      [{ head_dim: 7 }, /head size \(7\) must be even/],
      [{ hidden_act: "gelu" }, /hidden_act must be "silu".*got string "gelu"/],
      [{ rope_scaling: { type: "linear", factor: 2 } }, /rope_scaling is not supported/],
      [{ attention_dropout: 0.1 }, /attention_dropout must be 0/],
      [{ vocab_size: 1e12 }, /vocab_size must be an integer in \[1, 10000000\], got number 1000000000000/],
      [{ hidden_size: "32" }, /hidden_size must be an integer.*got string "32"/],
      [{ rms_norm_eps: -1 }, /rms_norm_eps must be a number in \(0, 1\)/],
      [{ pad_token_id: 96 }, /pad_token_id must be null or an integer in \[0, 95\]/],
      [{ tie_word_embeddings: "yes" }, /tie_word_embeddings must be true or false/],
      [{ model_type: "qwen2", use_sliding_window: true }, /use_sliding_window true is not supported/],
    ];
    for (const [patch, message] of bad) {
      expect(() => parseLlamaConfig({ ...TINY_LLAMA, ...patch }, "cfg.json"), JSON.stringify(patch)).toThrow(
        message,
      );
      expect(codeOf(() => parseLlamaConfig({ ...TINY_LLAMA, ...patch }))).toBe("CONFIG_INVALID");
    }
    expect(() => parseLlamaConfig("{}")).toThrow(/expected a JSON object at the top level, got string/);
  });

  it("rejects a model too large to build before allocating anything", () => {
    const huge = parseLlamaConfig({ ...TINY_LLAMA, vocab_size: 10_000_000, hidden_size: 65_536 });
    expect(llamaParameterCount(huge)).toBeGreaterThan(1e12);
    expect(() => new LlamaForCausalLM(huge)).toThrow(/more than the 2e\+9 tunekit builds/);
  });

  it("300 structural mutations: parsed or CONFIG_INVALID, each < 1 s of CPU", async () => {
    const rng = mulberry32(20260514);
    let invalid = 0;
    for (let i = 0; i < 300; i++) {
      const { doc, path } = mutateJson(TINY_LLAMA, rng);
      const outcome = await runHostileCase(path, () => llamaParameterCount(parseLlamaConfig(doc)), {
        codes: ["CONFIG_INVALID"],
      });
      if (outcome === "CONFIG_INVALID") invalid++;
    }
    expect(invalid).toBeGreaterThan(50);
  });
});
