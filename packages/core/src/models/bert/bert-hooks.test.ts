import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../../backend/reference-backend.js";
import { mulberry32 } from "../../data/random.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { Graph, type Tensor } from "../../ir/graph.js";
import { concat, full, gather, reshape, slice, transpose } from "../../ir/ops.js";
import type { Embedding } from "../../modules/embedding.js";
import { normalTensor } from "../../modules/init.js";
import { type Layer, Layer as LayerBase } from "../../modules/module.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import type { BertEmbeddings } from "./bert-embeddings.js";
import { BertForSequenceClassification } from "./bert-heads.js";
import type { BertSelfAttention } from "./bert-layer.js";
import { TINY_CONFIG } from "./config.test-helpers.js";
import { traceForward } from "./trace-forward.js";

const config = parseBertConfig(TINY_CONFIG);
const ids = hostTensor("int32", [2, 4], [3, 5, 7, 9, 2, 4, 6, 0]);
const mask = hostTensor("int32", [2, 4], [1, 1, 1, 1, 1, 1, 1, 0]);
const types = hostTensor("int32", [2, 4], [0, 0, 1, 1, 0, 0, 1, 1]);

function logits(model: BertForSequenceClassification, feeds: Record<string, HostTensor>): Float64Array {
  const [b, s] = feeds.input_ids!.shape as [number, number];
  const { graph } = traceForward(model, { batchSize: b, seqLength: s });
  return evaluateGraphFloat64(graph, feeds, ["logits"]).logits!.data;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe("BERT hooks for prompt-learning strategies (inert by default)", () => {
  it("positionOffset k equals a position table shifted by k rows", () => {
    const a = new BertForSequenceClassification(config, { seed: 1 });
    const b = new BertForSequenceClassification(config, { seed: 1 });
    (a.getSubmodule("bert.embeddings") as BertEmbeddings).positionOffset = 3;
    const pos = b.getParameter("bert.embeddings.position_embeddings.weight");
    const h = config.hiddenSize;
    const shifted = new Float32Array(pos.value.data.length);
    shifted.set((pos.value.data as Float32Array).subarray(3 * h), 0);
    pos.value = hostTensor("float32", pos.value.shape, shifted);
    const feeds = { input_ids: ids, attention_mask: mask, token_type_ids: types };
    expect(maxDiff(logits(a, feeds), logits(b, feeds))).toBe(0);
    (a.getSubmodule("bert.embeddings") as BertEmbeddings).positionOffset = 9;
    expect(() => traceForward(a, { batchSize: 2, seqLength: 4 })).toThrow(
      /4 tokens \+ 9 virtual tokens exceeds max_position_embeddings 12/,
    );
  });

  it("a word embedding that prepends rows = prepending tokens (positions, type 0, attended)", () => {
    const model = new BertForSequenceClassification(config, { seed: 2 });
    const words = model.getSubmodule("bert.embeddings.word_embeddings") as Embedding;
    class Prepend extends LayerBase {
      forward(x: Tensor): Tensor {
        const table = x.graph.param(words.weight);
        const extra = gather(table, full(x.graph, [2, 2], 11, "int32"));
        return concat([extra, words.forward(x)], 1);
      }
    }
    const wrapped = new BertForSequenceClassification(config, { seed: 2 });
    wrapped.setSubmodule("bert.embeddings.word_embeddings", new Prepend());
    // the wrapper reads `words.weight`, the same values as wrapped's own table
    const feeds = { input_ids: ids, attention_mask: mask, token_type_ids: types };
    const prepended = {
      input_ids: hostTensor("int32", [2, 6], [11, 11, 3, 5, 7, 9, 11, 11, 2, 4, 6, 0]),
      attention_mask: hostTensor("int32", [2, 6], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
      token_type_ids: hostTensor("int32", [2, 6], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]),
    };
    expect(maxDiff(logits(wrapped, feeds), logits(model, prepended))).toBeLessThan(1e-12);
  });

  it("an AttentionPrefix of the keys/values of tokens Z equals attending over [Z, X]", () => {
    const model = new BertForSequenceClassification(config, { seed: 3 });
    const attn = model.getSubmodule("bert.encoder.layer.0.attention.self") as BertSelfAttention;
    const g = new Graph();
    const z = g.input("z", "float32", [2, 3, 8]);
    const x = g.input("x", "float32", [2, 4, 8]);
    const bias = g.input("bias", "float32", [2, 1, 1, 7]);
    const heads = (t: Tensor): Tensor => transpose(reshape(t, [2, 3, 2, 4]), [0, 2, 1, 3]);
    const key = heads((attn.child("key") as Layer).forward(z));
    const value = heads((attn.child("value") as Layer).forward(z));
    g.output("prefix", attn.forward(x, bias, undefined, { key, value }));
    g.output("joint", slice(attn.forward(concat([z, x], 1), bias), [0, 3, 0], [-1, -1, -1]));
    const rng = mulberry32(5);
    const biasData = new Float32Array(14);
    biasData[13] = -1e9; // the last real token of row 1 is masked
    const out = evaluateGraphFloat64(g, {
      z: normalTensor([2, 3, 8], rng, 1),
      x: normalTensor([2, 4, 8], rng, 1),
      bias: hostTensor("float32", [2, 1, 1, 7], biasData),
    });
    expect(maxDiff(out.prefix!.data, out.joint!.data)).toBeLessThan(1e-12);
  });
});
