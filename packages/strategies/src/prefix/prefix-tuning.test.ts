import { BertForTokenClassification, type HostTensor, hostTensor } from "@tunekit/core";
import { concat, evaluateGraphFloat64, Graph } from "@tunekit/core/ir";
import {
  type BertEmbeddings,
  type BertLayer,
  type Layer,
  parseBertConfig,
  traceForward,
} from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { checkParameterGradients } from "../testing/parameter-gradients.js";
import { expectOnlyMethodParamsTrain } from "../testing/train-only-method-params.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { PrefixTunedEncoder } from "./prefix-tuned-encoder.js";
import { prefixTuning } from "./prefix-tuning.js";

const batch = probeBatch(3, 5);

function prepend(b: Record<string, HostTensor>, ids: number[]): Record<string, HostTensor> {
  const [rows, s] = b.input_ids!.shape as [number, number];
  const w = s + ids.length;
  const widen = (t: HostTensor, fill: (k: number) => number) => {
    const out = new Int32Array(rows * w);
    for (let r = 0; r < rows; r++) {
      ids.forEach((_, k) => {
        out[r * w + k] = fill(k);
      });
      for (let j = 0; j < s; j++) out[r * w + ids.length + j] = t.data[r * s + j]!;
    }
    return hostTensor("int32", [rows, w], out);
  };
  return {
    input_ids: widen(b.input_ids!, (k) => ids[k]!),
    attention_mask: widen(b.attention_mask!, () => 1),
    token_type_ids: widen(b.token_type_ids!, () => 0),
  };
}

describe("prefix tuning", () => {
  it("one layer: a prefix equal to the keys/values of real tokens reproduces prepending those tokens", async () => {
    // PEFT semantics pinned down exactly: table layout [layer][key|value][head][dim], the mask
    // extended by ones, real tokens at positions P.. (Hugging Face past_key_values_length).
    const config = parseBertConfig({
      model_type: "bert",
      vocab_size: 24,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 12,
      max_position_embeddings: 10,
      num_labels: 3,
    });
    const model = new BertForTokenClassification(config, { seed: 5 });
    const virtual = [4, 9, 2];
    const g = new Graph();
    const emb = model.getSubmodule("bert.embeddings") as BertEmbeddings;
    const x = emb.forward(g.input("ids", "int32", [1, 3]), undefined);
    const layer = model.getSubmodule("bert.encoder.layer.0") as BertLayer;
    const k = layer.getSubmodule("attention.self.key") as Layer;
    const v = layer.getSubmodule("attention.self.value") as Layer;
    g.output("table", concat([k.forward(x), v.forward(x)], 2)); // [1, P, 2H]
    const table = evaluateGraphFloat64(g, { ids: hostTensor("int32", [1, 3], virtual) }).table!;
    const adapted = prefixTuning({ numVirtualTokens: 3 }).apply(model);
    adapted.getParameter("bert.encoder.prefix_encoder.embedding.weight").value = hostTensor(
      "float32",
      [3, 16],
      Float32Array.from(table.data),
    );
    const viaPrefix = await logitsOf(adapted, batch); // [3, 5, 3]
    const full = await logitsOf(model, prepend(batch, virtual)); // [3, 8, 3]
    const cropped = Array.from({ length: 3 }, (_, r) =>
      Array.from(full.slice(r * 24 + 9, r * 24 + 24)),
    ).flat();
    expect(maxAbsDiff(viaPrefix, cropped)).toBeLessThan(1e-5);
    expect(maxAbsDiff(viaPrefix, await logitsOf(model, batch))).toBeGreaterThan(1e-3);
  });

  it("keeps base paths, offsets positions, trains only the prefix (and head)", () => {
    const model = tinyBert();
    const adapted = prefixTuning({ numVirtualTokens: 2, projection: true, encoderHiddenSize: 6 }).apply(
      model,
    );
    expect(adapted.getSubmodule("bert.encoder")).toBeInstanceOf(PrefixTunedEncoder);
    expect((adapted.getSubmodule("bert.embeddings") as BertEmbeddings).positionOffset).toBe(2);
    expect((model.getSubmodule("bert.embeddings") as BertEmbeddings).positionOffset).toBe(0);
    expect(adapted.getParameter("bert.encoder.layer.1.attention.self.query.weight")).toBe(
      model.getParameter("bert.encoder.layer.1.attention.self.query.weight"),
    );
    expect(
      adapted
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n, p]) => `${n} [${p.shape}]`),
    ).toEqual([
      "bert.encoder.prefix_encoder.embedding.weight [2,8]",
      "bert.encoder.prefix_encoder.transform.0.weight [6,8]",
      "bert.encoder.prefix_encoder.transform.0.bias [6]",
      "bert.encoder.prefix_encoder.transform.2.weight [32,6]",
      "bert.encoder.prefix_encoder.transform.2.bias [32]",
      "classifier.weight [3,8]",
      "classifier.bias [3]",
    ]);
    const plain = prefixTuning({ numVirtualTokens: 2, trainHead: false }).apply(model);
    expect(
      plain
        .namedParameters()
        .filter(([, p]) => p.trainable)
        .map(([n, p]) => `${n} [${p.shape}]`),
    ).toEqual(["bert.encoder.prefix_encoder.embedding.weight [2,32]"]);
  });

  for (const projection of [false, true]) {
    it(`projection ${projection}: gradients of the prefix parameters match finite differences`, () => {
      const adapted = prefixTuning({
        numVirtualTokens: 2,
        projection,
        encoderHiddenSize: 5,
        initStd: 0.5,
      }).apply(tinyBert(8));
      randomizeParameters(adapted, /classifier/, 3, 0.5);
      const r = checkParameterGradients(adapted, batch, (path) => path.includes("prefix_encoder"), {
        perParameter: 6,
      });
      expect(r.checked.length).toBe(projection ? 5 : 1);
      expect(r.maxGradient).toBeGreaterThan(1e-5);
      expect(r.maxError / r.maxGradient, r.worst).toBeLessThan(1e-5);
    });
  }

  it("a few AdamW steps change only the prefix encoder and the head", async () => {
    const base = tinyBert(2);
    const adapted = prefixTuning({ numVirtualTokens: 2, projection: true }).apply(base);
    const { changed } = await expectOnlyMethodParamsTrain(adapted, {
      base,
      batch,
      steps: 5,
      lr: 0.05,
      trained: (path) => path.includes("prefix_encoder") || path.startsWith("classifier."),
    });
    expect(changed.length).toBe(7);
  });

  it("rejects prefixes that do not fit, saying what to change", () => {
    expect(() => prefixTuning({ numVirtualTokens: 1.5 })).toThrow(/positive integer, got 1.5/);
    expect(() => prefixTuning({ numVirtualTokens: 8 }).apply(tinyBert())).toThrow(
      /leave no room in max_position_embeddings 8/,
    );
    const adapted = prefixTuning({ numVirtualTokens: 3 }).apply(tinyBert());
    expect(() => traceForward(adapted, { batchSize: 1, seqLength: 6 })).toThrow(
      /6 tokens \+ 3 virtual tokens exceeds max_position_embeddings 8; truncate inputs to 5 tokens/,
    );
    expect(() => prefixTuning({ numVirtualTokens: 2 }).apply(adapted)).toThrow(/already has a prefix/);
  });
});
