import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { parseBertConfig } from "../io/bert-config.js";
import { BertForSequenceClassification } from "../models/bert/bert-heads.js";
import { traceForward } from "../models/bert/trace-forward.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { cloneModuleTree } from "./clone.js";
import { Linear } from "./linear.js";
import { ModuleList } from "./module.js";
import { stateDict } from "./state-dict.js";

const config = parseBertConfig({
  model_type: "bert",
  vocab_size: 20,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 16,
  max_position_embeddings: 8,
  num_labels: 2,
});

describe("cloneModuleTree", () => {
  it("copies the structure, shares the Parameter objects and keeps classes and names", () => {
    const model = new BertForSequenceClassification(config);
    const copy = cloneModuleTree(model);
    expect(copy === model).toBe(false); // (not.toBe would deep-compare two big trees)
    expect(copy).toBeInstanceOf(BertForSequenceClassification);
    expect(copy.numLabels).toBe(2);
    expect(copy.namedParameters().map(([n]) => n)).toEqual(model.namedParameters().map(([n]) => n));
    const pairs = copy.parameters().map((p, i) => [p, model.parameters()[i]]);
    for (const [a, b] of pairs) expect(a).toBe(b);
    const orig = copy.namedModules().map(([path]) => path);
    expect(orig).toEqual(model.namedModules().map(([path]) => path));
    for (const [path, m] of copy.namedModules()) {
      if (path !== "") expect(m === model.getSubmodule(path), path).toBe(false);
    }
    expect(copy.getSubmodule("bert.encoder.layer").root()).toBe(copy);
    expect(copy.getSubmodule("bert.encoder.layer")).toBeInstanceOf(ModuleList);
  });

  it("setSubmodule on the copy leaves the original tree as it was", () => {
    const model = new BertForSequenceClassification(config);
    const copy = cloneModuleTree(model);
    const path = "bert.encoder.layer.1.attention.self.query";
    const replacement = new Linear(8, 8, { bias: false });
    copy.setSubmodule(path, replacement);
    expect(copy.getSubmodule(path)).toBe(replacement);
    expect(model.getSubmodule(path)).toBeInstanceOf(Linear);
    expect(model.getSubmodule(path) === replacement).toBe(false);
    expect(model.getParameter(`${path}.bias`).name).toBe(`${path}.bias`);
    expect(copy.getParameter(`${path}.weight`)).toBe(replacement.weight);
    expect(copy.namedParameters().some(([n]) => n === `${path}.bias`)).toBe(false);
  });

  it("freshParameters gives new Parameter objects sharing values and flags", () => {
    const model = new BertForSequenceClassification(config);
    model.getParameter("classifier.bias").trainable = false;
    const copy = cloneModuleTree(model, { freshParameters: true });
    const b = copy.getParameter("classifier.bias");
    expect(b === model.getParameter("classifier.bias")).toBe(false);
    expect(b.value).toBe(model.getParameter("classifier.bias").value);
    expect(b.trainable).toBe(false);
    b.value = hostTensor("float32", [2], [5, 6]);
    expect(Array.from(model.getParameter("classifier.bias").value.data)).toEqual([0, 0]);
  });

  it("freshParameters as a predicate of the full path refreshes only the chosen ones", () => {
    const model = new BertForSequenceClassification(config);
    const copy = cloneModuleTree(model, { freshParameters: (path) => path.endsWith(".bias") });
    for (const [name, p] of copy.namedParameters()) {
      const same = p === model.getParameter(name);
      expect(same, name).toBe(!name.endsWith(".bias"));
    }
  });

  it("the copy runs forward to the same logits", async () => {
    const model = new BertForSequenceClassification(config);
    const copy = cloneModuleTree(model);
    const backend = createReferenceBackend();
    const feeds = {
      input_ids: hostTensor("int32", [1, 4], [1, 5, 7, 2]),
      attention_mask: hostTensor("int32", [1, 4], [1, 1, 1, 1]),
      token_type_ids: hostTensor("int32", [1, 4], [0, 0, 0, 0]),
    };
    const run = async (m: BertForSequenceClassification) => {
      const { graph } = traceForward(m, { batchSize: 1, seqLength: 4 });
      const exe = await backend.compile(graph, { constants: stateDict(m) });
      return (await exe.run(feeds)).logits!.data;
    };
    expect(Array.from(await run(copy))).toEqual(Array.from(await run(model)));
  });
});
