import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBertConfig } from "../../io/bert-config.js";
import { readSafetensorsFile } from "../../io/safetensors-file.js";
import { parityFixtureFolders } from "../../testing/parity-fixtures.js";
import { BertForSequenceClassification, BertForTokenClassification } from "./bert-heads.js";
import { BertModel } from "./bert-model.js";
import { TINY_CONFIG } from "./config.test-helpers.js";
import { traceForward } from "./trace-forward.js";

describe("BERT module tree", () => {
  it("has exactly the Hugging Face parameter names and shapes of the fixture checkpoint", async () => {
    const folder = parityFixtureFolders("../shared/reference/bert-tiny-parity")[0]!;
    const { readFile } = await import("node:fs/promises");
    const config = parseBertConfig(JSON.parse(await readFile(join(folder, "config.json"), "utf8")));
    const model = new BertForSequenceClassification(config);
    const { tensors } = await readSafetensorsFile(join(folder, "model.safetensors"));
    const ours = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.shape]));
    const theirs = Object.fromEntries([...tensors].map(([n, t]) => [n, t.shape]));
    expect(ours).toEqual(theirs);
    expect(model.numLabels).toBe(3);
    expect(model.labels).toEqual(["LABEL_0", "LABEL_1", "LABEL_2"]);
  });

  it("initialises like Hugging Face: normal(0, initializer_range), zero biases, LN ones, zero padding row", () => {
    const config = parseBertConfig({
      ...TINY_CONFIG,
      vocab_size: 200,
      hidden_size: 32,
      initializer_range: 0.05,
    });
    const model = new BertForSequenceClassification(config, { seed: 3 });
    const w = model.getParameter("bert.embeddings.word_embeddings.weight").value.data;
    expect([...w.slice(0, 32)]).toEqual(new Array(32).fill(0)); // pad_token_id 0
    let s2 = 0;
    for (let i = 32; i < w.length; i++) s2 += w[i]! * w[i]!;
    expect(Math.sqrt(s2 / (w.length - 32))).toBeGreaterThan(0.045);
    expect(Math.sqrt(s2 / (w.length - 32))).toBeLessThan(0.055);
    expect([...model.getParameter("bert.encoder.layer.1.output.dense.bias").value.data]).toEqual(
      new Array(32).fill(0),
    );
    expect([...model.getParameter("bert.encoder.layer.0.output.LayerNorm.weight").value.data]).toEqual(
      new Array(32).fill(1),
    );
    const again = new BertForSequenceClassification(config, { seed: 3 });
    expect(again.getParameter("classifier.weight").value.data).toEqual(
      model.getParameter("classifier.weight").value.data,
    );
    const other = new BertForSequenceClassification(config, { seed: 4 });
    expect(other.getParameter("classifier.weight").value.data).not.toEqual(
      model.getParameter("classifier.weight").value.data,
    );
  });

  it("token classification has no pooler; BertModel names have no bert. prefix", () => {
    const config = parseBertConfig(TINY_CONFIG);
    const tok = new BertForTokenClassification(config, { numLabels: 5 });
    const names = tok.namedParameters().map(([n]) => n);
    expect(names.some((n) => n.includes("pooler"))).toBe(false);
    expect(tok.getParameter("classifier.weight").shape).toEqual([5, 8]);
    const base = new BertModel(config);
    expect(base.namedParameters()[0]![0]).toBe("embeddings.word_embeddings.weight");
    expect(base.namedParameters().at(-1)![0]).toBe("pooler.dense.bias");
  });

  it("traces forward passes with HF input names, losses per head, and dropout only in training", () => {
    const config = parseBertConfig(TINY_CONFIG);
    const seq = new BertForSequenceClassification(config);
    const t = traceForward(seq, { batchSize: 3, seqLength: 7, labels: true });
    expect([...t.graph.inputs.keys()]).toEqual(["input_ids", "attention_mask", "token_type_ids", "labels"]);
    expect(t.outputs.logits!.shape).toEqual([3, 2]);
    expect(t.outputs.loss!.shape).toEqual([]);
    expect(t.outputs.loss!.node.op).toBe("crossEntropy");
    expect(t.graph.nodes.some((n) => n.op === "dropoutMask")).toBe(false);
    expect(t.graph.nodes.filter((n) => n.op === "attention")).toHaveLength(2);

    const train = traceForward(seq, { batchSize: 3, seqLength: 7, labels: true, training: true });
    expect(train.graph.inputs.has("dropout_seed")).toBe(true);
    // embeddings + per layer (attention probs, attention output, ffn output) + classifier
    expect(train.graph.nodes.filter((n) => n.op === "dropoutMask")).toHaveLength(1 + 2 * 3 + 1);

    const tok = new BertForTokenClassification(config, { numLabels: 4 });
    const tt = traceForward(tok, { batchSize: 2, seqLength: 5, labels: true });
    expect(tt.outputs.logits!.shape).toEqual([2, 5, 4]);
    expect(tt.graph.nodes[tt.graph.inputs.get("labels")!]!.shape).toEqual([2, 5]);

    const reg = new BertForSequenceClassification(
      parseBertConfig({ ...TINY_CONFIG, id2label: undefined, num_labels: 1 }),
    );
    const tr = traceForward(reg, { batchSize: 2, seqLength: 5, labels: true });
    expect(tr.graph.nodes[tr.graph.inputs.get("labels")!]!.dtype).toBe("float32");
    expect(tr.outputs.loss!.node.op).toBe("mean");

    const multi = new BertForSequenceClassification(
      parseBertConfig({ ...TINY_CONFIG, problem_type: "multi_label_classification" }),
    );
    const tm = traceForward(multi, { batchSize: 2, seqLength: 5, labels: true });
    expect(tm.graph.nodes[tm.graph.inputs.get("labels")!]!.shape).toEqual([2, 2]);

    const base = traceForward(new BertModel(config), { batchSize: 2, seqLength: 5 });
    expect(base.outputs.last_hidden_state!.shape).toEqual([2, 5, 8]);
    expect(base.outputs.pooler_output!.shape).toEqual([2, 8]);
  });

  it("rejects sequences longer than max_position_embeddings and wrong input dtypes", () => {
    const seq = new BertForSequenceClassification(parseBertConfig(TINY_CONFIG));
    expect(() => traceForward(seq, { batchSize: 1, seqLength: 13 })).toThrow(
      /sequence length 13 exceeds max_position_embeddings 12/,
    );
  });
});
