import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type BertForSequenceClassification, hostTensor, loadBertCheckpoint } from "@tunekit/core";
import { evaluateGraphFloat64, Graph } from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { promptTuning } from "./prompt-tuning.js";

// Prompt tuning on RoBERTa: transformers numbers every position of the embeddings PEFT feeds
// (virtual tokens, real tokens and pads) from padding_idx + 1. Logits of PEFT's prompt tuning on the
// tiny RoBERTa parity fixture (scripts/make_roberta_prompt_fixture.py, float64).
const REPO = join(import.meta.dirname, "../../../..");
const FIXTURE = join(REPO, "fixtures/parity/roberta-2l-h24-3labels-b3-seq9");
const ref = JSON.parse(
  readFileSync(join(REPO, "fixtures/prompt-tuning/roberta-2-virtual-tokens.json"), "utf8"),
) as {
  num_virtual_tokens: number;
  prompt_embeddings: number[];
  input_ids: number[];
  attention_mask: number[];
  shape: [number, number];
  logits: number[];
};

describe("prompt tuning on RoBERTa", () => {
  it("gives PEFT's logits (positions from padding_idx + 1 over virtual and real tokens)", async () => {
    const { model } = await loadBertCheckpoint(FIXTURE, { task: "sequence-classification" });
    const p = ref.num_virtual_tokens;
    const adapted = promptTuning({ numVirtualTokens: p }).apply(model) as BertForSequenceClassification;
    const prompt = adapted.getParameter("roberta.embeddings.word_embeddings.prompt_embeddings");
    prompt.value = hostTensor("float32", prompt.value.shape, ref.prompt_embeddings);
    const [b, s] = ref.shape;
    const g = new Graph();
    const { logits } = adapted.forward(
      {
        inputIds: g.input("input_ids", "int32", [b, s]),
        attentionMask: g.input("attention_mask", "int32", [b, s]),
      },
      { training: false },
    );
    g.output("logits", logits);
    const out = evaluateGraphFloat64(g, {
      input_ids: hostTensor("int32", [b, s], ref.input_ids),
      attention_mask: hostTensor("int32", [b, s], ref.attention_mask),
    });
    const ours = [...out.logits!.data];
    const scale = Math.max(...ref.logits.map(Math.abs));
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - ref.logits[i]!))) / scale;
    expect(worst).toBeLessThan(1e-5);
  });
});
