import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../../backend/reference-backend.js";
import { isTunekitError } from "../../errors.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { readModelWeights } from "../../io/model-weights.js";
import { Graph } from "../../ir/graph.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { robertaPositionIds } from "./bert-embeddings.js";
import { BertForSequenceClassification } from "./bert-heads.js";
import { createBertForTask, loadBertCheckpoint, saveBertCheckpoint } from "./checkpoint.js";
import { loadBertWeights } from "./load-weights.js";
import { meanPooling } from "./mean-pooling.js";

const SIZES = {
  vocab_size: 20,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
};
const FIXTURES = join(import.meta.dirname, "../../../../../fixtures/parity");

describe("robertaPositionIds (Hugging Face's create_position_ids_from_input_ids)", () => {
  it("numbers non-pad tokens from padding_idx + 1 and gives pad tokens padding_idx, with an offset", () => {
    const g = new Graph();
    const ids = g.input("ids", "int32", [2, 5]);
    g.output("p", robertaPositionIds(ids, 1));
    g.output("q", robertaPositionIds(ids, 1, 3));
    const out = evaluateGraphFloat64(g, { ids: hostTensor("int32", [2, 5], [0, 5, 6, 2, 1, 0, 1, 7, 1, 1]) });
    // a pad between real tokens keeps padding_idx and does not advance the count, as in PyTorch
    expect([...out.p!.data]).toEqual([2, 3, 4, 5, 1, 2, 1, 3, 1, 1]);
    expect([...out.q!.data]).toEqual([5, 6, 7, 8, 1, 5, 1, 6, 1, 1]);
  });
});

describe("meanPooling", () => {
  it("averages the hidden states of unmasked tokens only", () => {
    const g = new Graph();
    const h = g.input("h", "float32", [2, 3, 2]);
    const m = g.input("m", "int32", [2, 3]);
    g.output("e", meanPooling(h, m));
    const out = evaluateGraphFloat64(g, {
      h: hostTensor("float32", [2, 3, 2], [1, 2, 3, 4, 100, 100, 2, 2, 4, 6, 8, 10]),
      m: hostTensor("int32", [2, 3], [1, 1, 0, 1, 1, 1]),
    });
    expect([...out.e!.data]).toEqual([2, 3, 14 / 3, 6]);
  });

  it("refuses mismatched shapes", () => {
    const g = new Graph();
    expect(() => meanPooling(g.input("h", "float32", [2, 3, 2]), g.input("m", "int32", [2, 4]))).toThrow(
      /meanPooling: expected hidden states \[B, S, H\] and a mask \[B, S\]/,
    );
  });
});

describe("encoder heads and checkpoints", () => {
  it("uses Hugging Face's names per architecture", () => {
    const names = (json: Record<string, unknown>): string[] =>
      new BertForSequenceClassification(parseBertConfig({ ...SIZES, ...json }), { numLabels: 3 })
        .namedParameters()
        .map(([n]) => n);
    const roberta = names({ model_type: "roberta" });
    expect(roberta).toContain("roberta.embeddings.position_embeddings.weight");
    expect(roberta).toContain("classifier.out_proj.weight");
    expect(roberta.some((n) => n.includes("pooler"))).toBe(false);
    const electra = names({ model_type: "electra", embedding_size: 4 });
    expect(electra).toContain("electra.embeddings_project.weight");
    expect(electra).toContain("classifier.dense.weight");
    expect(names({ model_type: "electra", embedding_size: 8 })).not.toContain(
      "electra.embeddings_project.weight",
    );
    const distil = names({ model_type: "distilbert" });
    expect(distil).toContain("distilbert.transformer.layer.0.attention.q_lin.weight");
    expect(distil).toContain("distilbert.transformer.layer.0.ffn.lin2.bias");
    expect(distil).toContain("pre_classifier.weight");
    expect(distil.some((n) => n.includes("token_type"))).toBe(false);
  });

  it("saves with Hugging Face architectures and loads back, ignoring other pre-training heads", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-encoders-"));
    try {
      for (const [type, arch] of [
        ["roberta", "RobertaForSequenceClassification"],
        ["xlm-roberta", "XLMRobertaForSequenceClassification"],
        ["distilbert", "DistilBertForSequenceClassification"],
        ["electra", "ElectraForSequenceClassification"],
      ] as const) {
        const cfg = parseBertConfig({ ...SIZES, model_type: type, embedding_size: 8 });
        const model = createBertForTask(cfg, { task: "sequence-classification", seed: 5 });
        const out = join(dir, type);
        await saveBertCheckpoint(model, out);
        const json = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
        expect(json.architectures).toEqual([arch]);
        expect(json.model_type).toBe(type);
        const { model: back, report } = await loadBertCheckpoint(out, { task: "sequence-classification" });
        expect(report.initialized).toEqual([]);
        expect(back.namedParameters().map(([n]) => n)).toEqual(model.namedParameters().map(([n]) => n));
      }
      const { tensors } = await readModelWeights(join(dir, "roberta"));
      const model = createBertForTask(parseBertConfig({ ...SIZES, model_type: "roberta" }), {
        task: "token-classification",
      });
      const extra = new Map([...tensors].filter(([k]) => !k.startsWith("classifier.")));
      extra.set("lm_head.dense.weight", hostTensor("float32", [8, 8], new Float32Array(64)));
      const report = loadBertWeights(model, extra);
      expect(report.ignored).toContain("lm_head.dense.weight");
      expect(report.initialized).toEqual(["classifier.weight", "classifier.bias"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses BERT's pre-training heads on the other encoders", () => {
    const cfg = parseBertConfig({ ...SIZES, model_type: "roberta" });
    try {
      createBertForTask(cfg, { task: "masked-lm" });
      expect.unreachable();
    } catch (e) {
      expect(isTunekitError(e, "INVALID_ARGUMENT")).toBe(true);
      expect((e as Error).message).toMatch(/roberta model trains as sequence-classification/);
    }
  });

  it("loads a fixture made by transformers with every tensor used", async () => {
    const { report } = await loadBertCheckpoint(join(FIXTURES, "electra-2l-h32-e16-3labels-b3-seq9"), {
      task: "sequence-classification",
    });
    expect(report.initialized).toEqual([]);
    expect(report.ignored).toEqual([]);
    expect(report.loaded).toContain("electra.embeddings_project.weight");
  });
});

describe("traceForward with mean pooling", () => {
  it("adds a sentence_embedding output equal to meanPooling of last_hidden_state", async () => {
    const { traceForward } = await import("./trace-forward.js");
    const { BertModel } = await import("./bert-model.js");
    const model = new BertModel(parseBertConfig(SIZES), { addPoolingLayer: false, seed: 2 });
    const { graph, outputs } = traceForward(model, { batchSize: 2, seqLength: 4, pooling: "mean" });
    expect(Object.keys(outputs)).toEqual(["last_hidden_state", "sentence_embedding"]);
    const out = evaluateGraphFloat64(graph, {
      input_ids: hostTensor("int32", [2, 4], [2, 5, 7, 3, 2, 9, 0, 0]),
      attention_mask: hostTensor("int32", [2, 4], [1, 1, 1, 1, 1, 1, 0, 0]),
      token_type_ids: hostTensor("int32", [2, 4], new Array(8).fill(0)),
    });
    const h = out.last_hidden_state!.data;
    const e = out.sentence_embedding!.data;
    for (let j = 0; j < 8; j++) {
      expect(e[j]).toBeCloseTo((h[j]! + h[8 + j]! + h[16 + j]! + h[24 + j]!) / 4, 12);
      expect(e[8 + j]).toBeCloseTo((h[32 + j]! + h[40 + j]!) / 2, 12);
    }
  });
});

describe("sentenceEmbeddings", () => {
  it("gives PyTorch's mean-pooled BertModel embeddings of the fixture, and unit vectors with normalize", async () => {
    const { sentenceEmbeddings } = await import("./sentence-embeddings.js");
    const { createReferenceBackend } = await import("../../backend/reference-backend.js");
    const { readSafetensorsFile } = await import("../../io/safetensors-file.js");
    const folder = join(FIXTURES, "bert-mean-pooling-2l-h24-b3-seq9");
    const { model } = await loadBertCheckpoint(folder, { task: "base" });
    const { tensors: ref } = await readSafetensorsFile(join(folder, "reference.safetensors"));
    const batch = {
      inputIds: ref.get("input_ids") as never,
      attentionMask: ref.get("attention_mask") as never,
      tokenTypeIds: ref.get("token_type_ids") as never,
    };
    const backend = createReferenceBackend();
    const emb = await sentenceEmbeddings(model, batch, backend);
    const want = ref.get("logits")!.data;
    expect(emb.shape).toEqual([3, 24]);
    for (let i = 0; i < want.length; i++) expect(emb.data[i]).toBeCloseTo(want[i]!, 6);
    const unit = await sentenceEmbeddings(model, batch, backend, { normalize: true });
    for (let r = 0; r < 3; r++) {
      let n = 0;
      for (let c = 0; c < 24; c++) n += unit.data[r * 24 + c]! ** 2;
      expect(n).toBeCloseTo(1, 6);
    }
    backend.dispose();
  });
});
