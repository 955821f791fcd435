import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReferenceBackend, sgd, TrainStepRunner, trainerForward } from "@tunekit/core";
import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { randomizeUnder, taskIds, traceHyper } from "../testing/hyperformer-trace.js";
import { maxAbsDiff, probeBatch, tinyBert } from "../testing/tiny-bert.js";
import { addHyperFormerTask } from "./add-task.js";
import { formatHyperFormerReport, hyperformerParameterReport } from "./hyperformer-report.js";
import { hyperformerPlusPlus, hypernetworkOf } from "./hyperformer-strategy.js";
import { loadHyperFormerTask, saveHyperFormerTask } from "./task-file.js";

const options = {
  tasks: ["sst2", "mrpc", "rte"],
  reductionFactor: 4,
  taskEmbeddingDim: 4,
  projectorHiddenDim: 6,
  projectedDim: 5,
};

function trained() {
  const model = hyperformerPlusPlus(options).apply(tinyBert(3));
  randomizeUnder(model, /hypernetwork\.(generators|projector)\..*weight$/, 11, 0.4);
  return model;
}

function logits(model: ReturnType<typeof trained>, ids: number[]): Float64Array {
  const { graph } = traceHyper(model, ids.length, 5);
  return evaluateGraphFloat64(graph, { ...probeBatch(ids.length, 5, 2), task_ids: taskIds(ids) }).logits!
    .data;
}

describe("addHyperFormerTask", () => {
  it("adds one embedding as the next task id; only it (and the head) trains; the old tasks are unchanged", () => {
    const model = trained();
    const added = addHyperFormerTask(model, "qnli", { init: { copyFrom: "rte" } });
    expect(hypernetworkOf(added).hypernetwork.tasks).toEqual(["sst2", "mrpc", "rte", "qnli"]);
    expect(hypernetworkOf(model).hypernetwork.tasks).toEqual(["sst2", "mrpc", "rte"]);
    const trainable = added
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(trainable).toEqual([
      "bert.encoder.hypernetwork.task_embeddings.qnli",
      "classifier.weight",
      "classifier.bias",
    ]);
    // the given model keeps training its hypernetwork
    expect(model.getParameter("bert.encoder.hypernetwork.generators.up_weight.weight").trainable).toBe(true);
    expect(maxAbsDiff(logits(added, [0, 1, 2]), logits(model, [0, 1, 2]))).toBe(0);
    expect(maxAbsDiff(logits(added, [3, 3, 3]), logits(model, [2, 2, 2]))).toBe(0);
    expect(() => addHyperFormerTask(model, "rte")).toThrow(/already has a task "rte"/);
    expect(() => addHyperFormerTask(model, "x", { init: { copyFrom: "nope" } })).toThrow(/names no task/);
  });

  it("a training step on the new task moves only its embedding and the head", async () => {
    const added = addHyperFormerTask(trained(), "qnli", { seed: 4 });
    const before = new Map(added.namedParameters().map(([n, p]) => [n, p.value]));
    const runner = new TrainStepRunner({
      backend: createReferenceBackend(),
      params: added.parameters(),
      forward: trainerForward(added),
      optimizer: sgd({ momentum: 0 }),
    });
    try {
      await runner.step({ ...probeBatch(3, 5, 2), task_ids: taskIds([3, 3, 3]) }, { lr: 0.5 });
    } finally {
      await runner.dispose();
    }
    const moved = added
      .namedParameters()
      .filter(([n, p]) => maxAbsDiff(p.value.data, before.get(n)!.data) > 0)
      .map(([n]) => n);
    expect(moved).toEqual([
      "bert.encoder.hypernetwork.task_embeddings.qnli",
      "classifier.weight",
      "classifier.bias",
    ]);
  });

  it("a task file holds the embedding and the head; loading it adds the task", async () => {
    const added = addHyperFormerTask(trained(), "qnli", { seed: 4 });
    const dir = await mkdtemp(join(tmpdir(), "tunekit-hyperformer-task-"));
    const { keys } = await saveHyperFormerTask(added, dir, "qnli");
    expect(keys).toEqual(["task_embedding", "classifier.weight", "classifier.bias"]);
    const loaded = await loadHyperFormerTask(trained(), dir);
    expect(maxAbsDiff(logits(loaded, [3, 0, 3]), logits(added, [3, 0, 3]))).toBe(0);
  });
});

describe("hyperformerParameterReport", () => {
  it("a task costs its embedding and head, against per-task adapters and full copies", () => {
    const model = trained();
    const r = hyperformerParameterReport(model);
    const base = tinyBert(3)
      .namedParameters()
      .filter(([n]) => !n.startsWith("classifier."))
      .reduce((s, [, p]) => s + p.value.data.length, 0);
    expect(r.base).toBe(base);
    expect(r.taskEmbedding).toBe(4);
    expect(r.head).toBe(3 * 8 + 3);
    expect(r.perAddedTask).toBe(4 + 27);
    // 2 layers × 2 sites × (2·r·d + r + d + 2d) with d 8, r 2
    expect(r.perTaskAdapters).toBe(4 * (32 + 2 + 8 + 16) + 27);
    expect(r.perTaskFullCopy).toBe(base + 27);
    const hn = hypernetworkOf(model)
      .hypernetwork.parameters()
      .reduce((s, p) => s + p.value.data.length, 0);
    expect(r.sharedHypernetwork).toBe(hn - 3 * 4);
    expect(r.totals.fullCopies).toBe(3 * (base + 27));
    expect(formatHyperFormerReport(r)).toContain("a new task costs its embedding (4) + head (27)");
  });
});
