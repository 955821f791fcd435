import {
  createReferenceBackend,
  hostTensor,
  sgd,
  type Tensor,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { MultiTaskModel } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { randomizeUnder, taskIds } from "../testing/hyperformer-trace.js";
import { TINY_CONFIG } from "../testing/task-adapters-fixtures.js";
import { maxAbsDiff, probeBatch } from "../testing/tiny-bert.js";
import { hyperformerPlusPlus } from "./hyperformer-strategy.js";

const config = TINY_CONFIG;
const tasks = [
  { name: "sst2", kind: "classification", numLabels: 2 },
  { name: "stsb", kind: "regression" },
] as const;
const small = {
  tasks: ["sst2", "stsb"],
  reductionFactor: 4,
  taskEmbeddingDim: 4,
  projectorHiddenDim: 6,
  projectedDim: 5,
};

function batch() {
  const { input_ids, attention_mask, token_type_ids } = probeBatch(4, 5, 2);
  return {
    input_ids: input_ids!,
    attention_mask: attention_mask!,
    token_type_ids: token_type_ids!,
    task_ids: taskIds([0, 1, 1, 0]),
    labels_0: taskIds([1, -100, -100, 0]),
    labels_1: hostTensor("float32", [4], [0, 0.5, -1, 0]),
  };
}

describe("HyperFormer on a MultiTaskModel", () => {
  it("trains the hypernetwork and the heads on a mixed batch; the base stays frozen", async () => {
    const model = hyperformerPlusPlus(small).apply(new MultiTaskModel(config, tasks, { seed: 1 }));
    randomizeUnder(model, /hypernetwork\.generators\..*weight$/, 3, 0.4);
    const trainable = model
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(trainable.every((n) => n.startsWith("bert.encoder.hypernetwork.") || n.startsWith("heads."))).toBe(
      true,
    );
    expect(trainable).toContain("heads.stsb.classifier.weight");
    const before = new Map(model.namedParameters().map(([n, p]) => [n, p.value]));
    const runner = new TrainStepRunner({
      backend: createReferenceBackend(),
      params: model.parameters(),
      forward: trainerForward(model),
      optimizer: sgd({ momentum: 0 }),
    });
    try {
      const { loss } = await runner.step(batch(), { lr: 0.1 });
      expect(Number.isFinite(loss)).toBe(true);
    } finally {
      await runner.dispose();
    }
    const moved = new Set(
      model
        .namedParameters()
        .filter(([n, p]) => maxAbsDiff(p.value.data, before.get(n)!.data) > 0)
        .map(([n]) => n),
    );
    expect(moved.has("bert.encoder.hypernetwork.task_embeddings.sst2")).toBe(true);
    expect(moved.has("bert.encoder.hypernetwork.task_embeddings.stsb")).toBe(true);
    expect(moved.has("heads.stsb.classifier.weight")).toBe(true);
    expect([...moved].every((n) => trainable.includes(n))).toBe(true);
  });

  it("the strategy's tasks must be the model's, in its order", () => {
    const base = new MultiTaskModel(config, tasks);
    expect(() => hyperformerPlusPlus({ ...small, tasks: ["stsb", "sst2"] }).apply(base)).toThrow(
      /must be the MultiTaskModel's tasks in its order \(\[sst2, stsb\]\)/,
    );
  });

  it("reads task_ids from ctx.batch when forwardBatch is traced", () => {
    const model = hyperformerPlusPlus(small).apply(new MultiTaskModel(config, tasks));
    const g = new Graph();
    const inputs: Record<string, Tensor> = {
      input_ids: g.input("input_ids", "int32", [4, 5]),
      task_ids: g.input("task_ids", "int32", [4]),
    };
    const { outputs } = model.forwardBatch(inputs, { training: false, batch: inputs });
    expect(outputs.logits_1!.shape).toEqual([4, 1]);
    expect(() => model.forwardBatch(inputs, { training: false })).toThrow(/needs a task_ids input/);
  });
});
