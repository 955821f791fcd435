import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bertConfigError } from "./bert-config.test-helpers.js";
import { mulberry32 } from "../data/random.js";
import { mutateJson, runHostileCase } from "../testing/hostile-input.js";
import { isEncoderConfigJson } from "./encoder-config.js";
import { bertConfigToJson, parseBertConfig } from "./hf-config.js";

const FIXTURES = join(import.meta.dirname, "../../../../fixtures/parity");
const fixtureConfig = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name, "config.json"), "utf8")) as Record<string, unknown>;

const SIZES = {
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
};

describe("encoder configs (RoBERTa, XLM-RoBERTa, ELECTRA, DistilBERT)", () => {
  it("reads the fixtures' configs as transformers wrote them", () => {
    expect(parseBertConfig(fixtureConfig("roberta-2l-h24-3labels-b3-seq9"))).toMatchObject({
      modelType: "roberta",
      padTokenId: 1,
      typeVocabSize: 1,
      layerNormEps: 1e-5,
      hiddenSize: 24,
    });
    expect(parseBertConfig(fixtureConfig("xlm-roberta-1l-h16-2labels-b2-seq7")).modelType).toBe(
      "xlm-roberta",
    );
    expect(parseBertConfig(fixtureConfig("electra-2l-h32-e16-3labels-b3-seq9"))).toMatchObject({
      modelType: "electra",
      embeddingSize: 16,
      hiddenSize: 32,
    });
    expect(parseBertConfig(fixtureConfig("distilbert-2l-h24-3labels-b3-seq9"))).toMatchObject({
      modelType: "distilbert",
      hiddenSize: 24,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 48,
      hiddenAct: "gelu",
      classifierDropout: 0.2,
      typeVocabSize: 0,
      layerNormEps: 1e-12,
      padTokenId: 0,
    });
  });

  it("defaults by model type: RoBERTa pads with 1, ELECTRA embeds 128 wide, DistilBERT is distilbert-base", () => {
    expect(parseBertConfig({ ...SIZES, model_type: "roberta" }).padTokenId).toBe(1);
    expect(parseBertConfig({ ...SIZES, model_type: "bert" }).padTokenId).toBe(0);
    expect(parseBertConfig({ ...SIZES, model_type: "electra" }).embeddingSize).toBe(128);
    expect(parseBertConfig({ ...SIZES, model_type: "bert" }).embeddingSize).toBeUndefined();
    expect(parseBertConfig({ model_type: "distilbert", vocab_size: 30522 })).toMatchObject({
      hiddenSize: 768,
      numHiddenLayers: 6,
      numAttentionHeads: 12,
      intermediateSize: 3072,
    });
  });

  it("writes each back in its own keys, and reads that back to the same config", () => {
    for (const name of [
      "roberta-2l-h24-3labels-b3-seq9",
      "electra-2l-h32-e16-3labels-b3-seq9",
      "distilbert-2l-h24-3labels-b3-seq9",
    ]) {
      const cfg = parseBertConfig(fixtureConfig(name));
      const json = bertConfigToJson(cfg);
      expect(parseBertConfig(json)).toEqual(cfg);
    }
    const distil = bertConfigToJson(parseBertConfig(fixtureConfig("distilbert-2l-h24-3labels-b3-seq9")));
    expect(distil).toMatchObject({ dim: 24, n_layers: 2, n_heads: 4, hidden_dim: 48, activation: "gelu" });
    expect(Object.keys(distil)).not.toContain("hidden_size");
    expect(Object.keys(distil)).not.toContain("type_vocab_size");
    expect(
      bertConfigToJson(parseBertConfig({ ...SIZES, model_type: "electra", embedding_size: 8 }))
        .embedding_size,
    ).toBe(8);
  });

  it("rejects what these architectures cannot be, naming the key", () => {
    expect(bertConfigError({ model_type: "distilbert", sinusoidal_pos_embds: true })).toMatch(
      /sinusoidal_pos_embds/,
    );
    expect(bertConfigError({ model_type: "distilbert", type_vocab_size: 2 })).toMatch(
      /DistilBERT config has no type_vocab_size/,
    );
    expect(bertConfigError({ model_type: "distilbert", vocab_size: 9, dim: 30, n_heads: 4 })).toMatch(
      /num_attention_heads \(4\) must divide/,
    );
    expect(bertConfigError({ model_type: "distilbert", vocab_size: 9, activation: "mish" })).toMatch(
      /hidden_act must be one of/,
    );
    expect(bertConfigError({ ...SIZES, model_type: "electra", embedding_size: 0 })).toMatch(
      /embedding_size must be an integer/,
    );
    expect(bertConfigError({ ...SIZES, model_type: "electra", embedding_size: 1e9 })).toMatch(
      /embedding_size/,
    );
    expect(bertConfigError({ ...SIZES, model_type: "bert", type_vocab_size: 0 })).toMatch(/type_vocab_size/);
    expect(bertConfigError({ ...SIZES, model_type: ["roberta"] })).toMatch(/model_type must be one of/);
  });

  it("tells encoder configs from others", () => {
    expect(isEncoderConfigJson({ model_type: "xlm-roberta" })).toBe(true);
    expect(isEncoderConfigJson({ vocab_size: 3 })).toBe(true);
    expect(isEncoderConfigJson({ model_type: "gpt2" })).toBe(false);
    expect(isEncoderConfigJson([])).toBe(false);
  });
});

describe("encoder configs under hostile input", () => {
  it("200 seeded structural mutations of each fixture config: parsed or CONFIG_INVALID, each < 1 s", async () => {
    for (const name of [
      "roberta-2l-h24-3labels-b3-seq9",
      "electra-2l-h32-e16-3labels-b3-seq9",
      "distilbert-2l-h24-3labels-b3-seq9",
    ]) {
      const valid = fixtureConfig(name);
      const rng = mulberry32(11);
      const outcomes: string[] = [];
      for (let i = 0; i < 200; i++) {
        const { doc, path } = mutateJson(valid, rng);
        outcomes.push(
          await runHostileCase(`${name} case ${i}: ${path}`, () => parseBertConfig(doc), {
            codes: ["CONFIG_INVALID"],
          }),
        );
      }
      expect(outcomes.filter((o) => o === "CONFIG_INVALID").length, name).toBeGreaterThan(20);
      expect(outcomes.filter((o) => o === "ok").length, name).toBeGreaterThan(20);
    }
  });
});
