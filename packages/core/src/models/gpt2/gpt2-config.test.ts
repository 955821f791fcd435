import { describe, expect, it } from "vitest";
import { TunekitError } from "../../errors.js";
import { mulberry32 } from "../../data/random.js";
import { mutateJson } from "../../testing/hostile-input.js";
import { gpt2ConfigToJson, isGpt2ConfigJson, parseGpt2Config } from "./gpt2-config.js";
import { gpt2ParameterCount } from "./gpt2-parameter-count.js";

const GPT2_SMALL = {
  model_type: "gpt2",
  vocab_size: 50257,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_positions: 1024,
};

describe("GPT-2 config", () => {
  it("reads Hugging Face's keys with transformers' defaults", () => {
    const cfg = parseGpt2Config(GPT2_SMALL);
    expect(cfg).toMatchObject({
      hiddenSize: 768,
      intermediateSize: 3072,
      headDim: 64,
      layerNormEps: 1e-5,
      activation: "tanh",
      residDropout: 0.1,
      tieWordEmbeddings: true,
    });
    // the published parameter count of gpt2 (124M, tied head)
    expect(gpt2ParameterCount(cfg)).toBe(124_439_808);
  });

  it("round-trips through config.json keys, keeping unknown keys", () => {
    const cfg = parseGpt2Config({
      ...GPT2_SMALL,
      n_ctx: 1024,
      activation_function: "gelu",
      eos_token_id: 50256,
    });
    expect(parseGpt2Config(gpt2ConfigToJson(cfg))).toEqual(cfg);
    expect(cfg.extra).toEqual({ n_ctx: 1024 });
    expect(cfg.activation).toBe("none");
  });

  it("is told from other configs by model_type or architectures", () => {
    expect(isGpt2ConfigJson({ architectures: ["GPT2LMHeadModel"] })).toBe(true);
    expect(isGpt2ConfigJson({ model_type: "llama" })).toBe(false);
    expect(isGpt2ConfigJson([])).toBe(false);
  });

  it.each([
    [{ n_head: 5 }, "n_head"],
    [{ activation_function: "relu" }, "activation_function"],
    [{ scale_attn_by_inverse_layer_idx: true }, "scale_attn_by_inverse_layer_idx"],
    [{ add_cross_attention: true }, "add_cross_attention"],
    [{ resid_pdrop: 1 }, "resid_pdrop"],
    [{ eos_token_id: 50257 }, "eos_token_id"],
    [{ n_embd: 1e9 }, "n_embd"],
    [{ model_type: "bert" }, "model_type"],
  ])("refuses %j naming the key", (patch, key) => {
    try {
      parseGpt2Config({ ...GPT2_SMALL, ...patch });
      expect.fail("parsed");
    } catch (e) {
      expect(e).toBeInstanceOf(TunekitError);
      expect((e as TunekitError).code).toBe("CONFIG_INVALID");
      expect((e as TunekitError).message).toContain(key);
    }
  });

  it("answers mutated configs with a config or CONFIG_INVALID, never another error", () => {
    const rng = mulberry32(17);
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const { doc } = mutateJson(GPT2_SMALL, rng);
      try {
        parseGpt2Config(doc);
      } catch (e) {
        expect(e).toBeInstanceOf(TunekitError);
        expect((e as TunekitError).code).toBe("CONFIG_INVALID");
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(50);
  });
});
