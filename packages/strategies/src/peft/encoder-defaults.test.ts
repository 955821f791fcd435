import { createBertForTask, Linear } from "@tunekit/core";
import { parseBertConfig } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { ia3 } from "../ia3/ia3.js";
import { LoraLinear } from "../lora/lora-linear.js";
import { lora } from "../lora/lora.js";
import { adapterRecordOf } from "./adapter-record.js";
import { ENCODER_PEFT_DEFAULTS, encoderModelType, peftDefaultsFor } from "./encoder-defaults.js";

// Strategy defaults follow the architecture the model reports (config model_type), as PEFT's
// per-model_type tables do.
const SIZES = {
  vocab_size: 30,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 16,
};
const build = (
  modelType: string,
  task: "sequence-classification" | "token-classification" = "sequence-classification",
) =>
  createBertForTask(parseBertConfig({ ...SIZES, model_type: modelType, embedding_size: 4 }), {
    task,
    numLabels: 3,
  });
const wrapped = (model: ReturnType<typeof build>, cls: new (...a: never[]) => unknown): string[] =>
  model
    .namedModules()
    .filter(([, m]) => m instanceof cls)
    .map(([p]) => p);

describe("per-architecture strategy defaults", () => {
  it("LoRA with defaults on DistilBERT targets q_lin and v_lin and saves pre_classifier with classifier", () => {
    const base = build("distilbert");
    expect(encoderModelType(base)).toBe("distilbert");
    const adapted = lora({ r: 2 }).apply(base);
    expect(wrapped(adapted, LoraLinear)).toEqual([
      "distilbert.transformer.layer.0.attention.q_lin",
      "distilbert.transformer.layer.0.attention.v_lin",
      "distilbert.transformer.layer.1.attention.q_lin",
      "distilbert.transformer.layer.1.attention.v_lin",
    ]);
    const config = adapterRecordOf(adapted)!.config;
    expect(config.target_modules).toEqual(["q_lin", "v_lin"]);
    expect(config.modules_to_save).toEqual(["pre_classifier", "classifier"]);
    const trainable = adapted
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(trainable.some((n) => n.startsWith("pre_classifier."))).toBe(true);
    expect(trainable.some((n) => n.includes("q_lin.lora_A"))).toBe(true);
  });

  it("LoRA with defaults on RoBERTa, XLM-RoBERTa and ELECTRA targets query and value", () => {
    for (const t of ["roberta", "xlm-roberta", "electra"]) {
      const adapted = lora({ r: 2 }).apply(build(t, "token-classification"));
      const paths = wrapped(adapted, LoraLinear);
      expect(paths).toHaveLength(4);
      expect(paths.every((p) => /attention\.self\.(query|value)$/.test(p))).toBe(true);
      expect(adapterRecordOf(adapted)!.config.modules_to_save).toEqual(["classifier"]);
    }
  });

  it("explicit targets win over the defaults", () => {
    const adapted = lora({ r: 2, targetModules: ["out_lin"] }).apply(build("distilbert"));
    expect(wrapped(adapted, LoraLinear)).toEqual([
      "distilbert.transformer.layer.0.attention.out_lin",
      "distilbert.transformer.layer.1.attention.out_lin",
    ]);
  });

  it("IA3 with defaults on DistilBERT scales k_lin, v_lin and (input-scaled) lin2", () => {
    const adapted = ia3().apply(build("distilbert"));
    const config = adapterRecordOf(adapted)!.config;
    expect(config.target_modules).toEqual(["k_lin", "v_lin", "lin2"]);
    expect(config.feedforward_modules).toEqual(["lin2"]);
    const scaled = adapted
      .namedParameters()
      .filter(([n]) => n.includes("ia3_l"))
      .map(([n]) => n);
    expect(scaled).toHaveLength(6);
    expect(scaled.filter((n) => n.includes("ffn.lin2"))).toHaveLength(2);
  });

  it("knows every encoder model_type and leaves other models to the BERT defaults", () => {
    for (const t of ["bert", "roberta", "xlm-roberta", "electra", "distilbert"] as const) {
      expect(peftDefaultsFor(build(t))).toBe(ENCODER_PEFT_DEFAULTS[t]);
    }
    expect(peftDefaultsFor(new Linear(2, 2))).toBeUndefined();
  });
});

describe("head of the freezing strategies per architecture", () => {
  it("headOnly and lastNLayers train DistilBERT's pre_classifier with its classifier", async () => {
    const { headOnly, lastNLayers } = await import("../freeze.js");
    for (const strategy of [headOnly(), lastNLayers(1)]) {
      const trained = strategy
        .apply(build("distilbert"))
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n]) => n);
      expect(trained).toContain("pre_classifier.weight");
      expect(trained).toContain("classifier.weight");
    }
    const bert = headOnly()
      .apply(build("bert"))
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(bert).toEqual(["classifier.weight", "classifier.bias"]);
  });
});

describe("strategies DistilBERT cannot take", () => {
  it("prefix tuning is refused with a reason", async () => {
    const { prefixTuning } = await import("../prefix/prefix-tuning.js");
    expect(() => prefixTuning({ numVirtualTokens: 2 }).apply(build("distilbert"))).toThrow(
      /DistilBERT's attention takes no key\/value prefix/,
    );
  });
});

describe("PEFT adapter folders without target_modules", () => {
  it("load onto DistilBERT with its defaults (q_lin, v_lin)", async () => {
    const { mkdtemp, readFile, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { saveAdapter } = await import("./save-adapter.js");
    const { loadAdapter } = await import("./load-adapter.js");
    const dir = await mkdtemp(join(tmpdir(), "tunekit-distil-adapter-"));
    try {
      await saveAdapter(lora({ r: 2 }).apply(build("distilbert")), dir);
      const path = join(dir, "adapter_config.json");
      const config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
      delete config.target_modules;
      await writeFile(path, JSON.stringify(config));
      const loaded = await loadAdapter(build("distilbert"), dir);
      expect(wrapped(loaded, LoraLinear)).toEqual([
        "distilbert.transformer.layer.0.attention.q_lin",
        "distilbert.transformer.layer.0.attention.v_lin",
        "distilbert.transformer.layer.1.attention.q_lin",
        "distilbert.transformer.layer.1.attention.v_lin",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
