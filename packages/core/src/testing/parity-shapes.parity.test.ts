import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { describeParity } from "./parity.js";
import { committedParityFixtureFolders } from "./parity-fixtures.js";

// PyTorch parity of the float64 reference backend on the committed fixtures of other shapes
// (fixtures/parity: BERT with 3 layers / odd length / 2 labels and 1 layer / 5 labels / batch 3;
// decoders: Qwen2 with biases, tied embeddings and GQA, Mistral with 3 layers, both odd lengths;
// GPT-2 with Conv1D weights, learned positions and a tied head, made with transformers' own model;
// encoders made with transformers' own models: RoBERTa, XLM-RoBERTa, DistilBERT, ELECTRA with an
// embedding projection, and a mean-pooled BERT sentence embedder).
const folders = committedParityFixtureFolders();
describe("committed parity fixtures", () => {
  it("fixtures/parity holds the fixtures its README lists", () => {
    expect(folders.map((f) => f.split("/").pop())).toEqual([
      "bert-1l-h16-5labels-b3-seq7",
      "bert-3l-h24-seq13-2labels",
      "bert-mean-pooling-2l-h24-b3-seq9",
      "distilbert-2l-h24-3labels-b3-seq9",
      "electra-2l-h32-e16-3labels-b3-seq9",
      "gpt2-2l-h24-b3-seq9",
      "mistral-3l-h16-mha-b2-seq9",
      "qwen2-2l-h24-kv2-tied-b3-seq11",
      "roberta-2l-h24-3labels-b3-seq9",
      "xlm-roberta-1l-h16-2labels-b2-seq7",
    ]);
  });
});
describeParity("reference", () => createReferenceBackend(), folders);
