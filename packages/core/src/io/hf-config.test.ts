import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bertConfigError } from "./bert-config.test-helpers.js";
import { bertConfigToJson, parseBertConfig, readBertConfig } from "./hf-config.js";

const REFERENCE = join(import.meta.dirname, "../../../../../shared/reference/bert-tiny-parity");

const MINIMAL = {
  model_type: "bert",
  vocab_size: 64,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
};

describe("readBertConfig", () => {
  it("reads the bert-tiny reference config", async () => {
    const cfg = await readBertConfig(REFERENCE);
    expect(cfg).toMatchObject({
      modelType: "bert",
      vocabSize: 64,
      hiddenSize: 32,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 64,
      hiddenAct: "gelu",
      hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1,
      maxPositionEmbeddings: 16,
      typeVocabSize: 2,
      initializerRange: 0.02,
      layerNormEps: 1e-12,
      padTokenId: 0,
      positionEmbeddingType: "absolute",
      id2label: ["LABEL_0", "LABEL_1", "LABEL_2"],
      label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
      numLabels: 3,
      extra: { architectures: ["BertForSequenceClassification"] },
    });
    expect(cfg.problemType).toBeUndefined();
    expect(cfg.classifierDropout).toBeUndefined();
  });

  it("reports missing files as IO_ERROR and bad JSON as CONFIG_INVALID", async () => {
    await expect(readBertConfig(join(REFERENCE, "missing"))).rejects.toMatchObject({ code: "IO_ERROR" });
    const dir = await mkdtemp(join(tmpdir(), "tunekit-cfg-"));
    try {
      await writeFile(join(dir, "config.json"), "{ nope");
      await expect(readBertConfig(dir)).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: expect.stringMatching(/config\.json is not valid JSON/),
      });
      await writeFile(join(dir, "config.json"), JSON.stringify({ ...MINIMAL, hidden_size: 30 }));
      await expect(readBertConfig(dir)).rejects.toThrow(
        `${join(dir, "config.json")}: num_attention_heads (4) must divide hidden_size (30)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseBertConfig", () => {
  it("applies transformers defaults and 2 default labels", () => {
    const cfg = parseBertConfig(MINIMAL);
    expect(cfg.id2label).toEqual(["LABEL_0", "LABEL_1"]);
    expect(cfg.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1 });
    expect(cfg.numLabels).toBe(2);
    expect(cfg.maxPositionEmbeddings).toBe(512);
    expect(cfg.hiddenAct).toBe("gelu");
    expect(cfg.layerNormEps).toBe(1e-12);
    expect(cfg.padTokenId).toBe(0);
    expect(cfg.extra).toEqual({});
  });

  it("derives labels from num_labels and keeps optional fields", () => {
    const cfg = parseBertConfig({
      ...MINIMAL,
      num_labels: 3,
      hidden_act: "gelu_pytorch_tanh",
      problem_type: "multi_label_classification",
      classifier_dropout: 0.2,
      pad_token_id: null,
    });
    expect(cfg.id2label).toEqual(["LABEL_0", "LABEL_1", "LABEL_2"]);
    expect(cfg.hiddenAct).toBe("gelu_pytorch_tanh");
    expect(cfg.problemType).toBe("multi_label_classification");
    expect(cfg.classifierDropout).toBe(0.2);
    expect("padTokenId" in cfg).toBe(false);
    const custom = parseBertConfig({ ...MINIMAL, id2label: { 1: "pos", 0: "neg" }, num_labels: 2 });
    expect(custom.id2label).toEqual(["neg", "pos"]);
    expect(custom.label2id).toEqual({ neg: 0, pos: 1 });
  });

  it("round-trips through bertConfigToJson, including extra keys", async () => {
    const ref = await readBertConfig(REFERENCE);
    const variants = [
      ref,
      parseBertConfig({ ...MINIMAL, problem_type: "regression", num_labels: 1, pad_token_id: null }),
      parseBertConfig({
        ...MINIMAL,
        classifier_dropout: 0.3,
        transformers_version: "4.44.0",
        torch_dtype: "float32",
      }),
    ];
    for (const cfg of variants) {
      const json = bertConfigToJson(cfg);
      expect(json.model_type).toBe("bert");
      expect(parseBertConfig(JSON.parse(JSON.stringify(json)))).toEqual(cfg);
    }
    const json = bertConfigToJson(ref);
    expect(json.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2" });
    expect(json.architectures).toEqual(["BertForSequenceClassification"]);
    expect(json.hidden_size).toBe(32);
  });

  it("rejects non-objects and wrong model types", () => {
    expect(bertConfigError([])).toMatch(
      /config\.json: expected a JSON object at the top level, got an array/,
    );
    expect(bertConfigError(null)).toMatch(/got null/);
    expect(bertConfigError("bert")).toMatch(/got string "bert"/);
    expect(bertConfigError({ ...MINIMAL, model_type: "llama" })).toMatch(
      /model_type must be one of "bert", "roberta", "xlm-roberta", "electra", "distilbert", got string "llama"/,
    );
  });

  it("rejects missing, mistyped, negative and huge sizes, naming key and value", () => {
    const { vocab_size: _, ...noVocab } = MINIMAL;
    expect(bertConfigError(noVocab)).toMatch(
      /vocab_size must be an integer in \[1, 10000000\], got nothing \(missing\)/,
    );
    expect(bertConfigError({ ...MINIMAL, hidden_size: -3 })).toMatch(
      /hidden_size must be an integer in \[1, 65536\], got number -3/,
    );
    expect(bertConfigError({ ...MINIMAL, hidden_size: "32" })).toMatch(/hidden_size .* got string "32"/);
    expect(bertConfigError({ ...MINIMAL, hidden_size: 32.5 })).toMatch(/hidden_size .* got number 32.5/);
    expect(bertConfigError({ ...MINIMAL, vocab_size: 1e12 })).toMatch(
      /vocab_size must be an integer in \[1, 10000000\]/,
    );
    expect(bertConfigError({ ...MINIMAL, num_hidden_layers: 513 })).toMatch(
      /num_hidden_layers must be an integer in \[1, 512\]/,
    );
    expect(bertConfigError({ ...MINIMAL, num_hidden_layers: true })).toMatch(
      /num_hidden_layers .* got boolean true/,
    );
    expect(bertConfigError({ ...MINIMAL, num_attention_heads: 3 })).toBe(
      "config.json: num_attention_heads (3) must divide hidden_size (32)",
    );
    expect(bertConfigError({ ...MINIMAL, max_position_embeddings: 0 })).toMatch(
      /max_position_embeddings must be/,
    );
    expect(bertConfigError({ ...MINIMAL, pad_token_id: 64 })).toMatch(
      /pad_token_id must be null or an integer in \[0, vocab_size - 1 = 63\], got number 64/,
    );
  });

  it("rejects bad probabilities, eps, activations and position embedding types", () => {
    expect(bertConfigError({ ...MINIMAL, hidden_dropout_prob: 1.5 })).toMatch(
      /hidden_dropout_prob must be a number in \[0, 1\), got number 1.5/,
    );
    expect(bertConfigError({ ...MINIMAL, attention_probs_dropout_prob: "0.1" })).toMatch(
      /attention_probs_dropout_prob/,
    );
    expect(bertConfigError({ ...MINIMAL, classifier_dropout: -0.1 })).toMatch(/classifier_dropout must be/);
    expect(bertConfigError({ ...MINIMAL, layer_norm_eps: 0 })).toMatch(
      /layer_norm_eps must be a number in \(0, 1\)/,
    );
    expect(bertConfigError({ ...MINIMAL, hidden_act: "mish" })).toMatch(
      /hidden_act must be one of "gelu", .* got string "mish"/,
    );
    expect(bertConfigError({ ...MINIMAL, position_embedding_type: "relative_key" })).toMatch(
      /position_embedding_type must be "absolute" .* got string "relative_key"/,
    );
    expect(bertConfigError({ ...MINIMAL, problem_type: "ranking" })).toMatch(
      /problem_type must be null or one of/,
    );
  });

  it("rejects inconsistent or malformed labels", () => {
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a", 2: "c" } })).toMatch(
      /id2label key "2" is not an id in 0..1; keys must be the integers 0..n-1 without gaps/,
    );
    expect(bertConfigError({ ...MINIMAL, id2label: { "0": "a", "01": "b" } })).toMatch(/id2label key "01"/);
    expect(bertConfigError({ ...MINIMAL, id2label: { "0": "a", "1.0": "b" } })).toMatch(/id2label key "1.0"/);
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a", x: "b" } })).toMatch(/id2label key "x"/);
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: 5 } })).toMatch(
      /id2label\["0"\] must be a string label, got number 5/,
    );
    expect(bertConfigError({ ...MINIMAL, id2label: ["a", "b"] })).toMatch(/id2label must be an object/);
    expect(bertConfigError({ ...MINIMAL, id2label: {} })).toMatch(
      /id2label must have 1 to 1000000 entries, got 0/,
    );
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a", 1: "a" } })).toMatch(
      /ids 0 and 1 share the label "a"/,
    );
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a", 1: "b" }, num_labels: 3 })).toMatch(
      /num_labels \(3\) disagrees with id2label, which has 2 entries/,
    );
    expect(bertConfigError({ ...MINIMAL, num_labels: 0 })).toMatch(
      /num_labels must be an integer in \[1, 1000000\]/,
    );
    expect(bertConfigError({ ...MINIMAL, num_labels: 1e9 })).toMatch(/num_labels must be an integer/);
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a", 1: "b" }, label2id: { a: 1, b: 0 } })).toMatch(
      /label2id .* is not the inverse of id2label/,
    );
    expect(bertConfigError({ ...MINIMAL, id2label: { 0: "a" }, label2id: { a: "0" } })).toMatch(/label2id/);
    expect(bertConfigError({ ...MINIMAL, label2id: 3 })).toMatch(/label2id must be an object/);
  });

  it("keeps hostile extra keys as plain own properties", () => {
    const cfg = parseBertConfig(
      JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(MINIMAL).slice(1)}`),
    );
    expect(Object.getPrototypeOf(cfg.extra)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const json = bertConfigToJson(cfg);
    expect(Object.keys(json)).toContain("__proto__");
    expect((json as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
