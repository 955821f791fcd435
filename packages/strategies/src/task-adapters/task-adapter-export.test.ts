import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BertForSequenceClassification, createReferenceBackend, readSafetensorsFile } from "@tunekit/core";
import type { MultiTaskModel } from "@tunekit/core/models";
import { afterAll, describe, expect, it } from "vitest";
import { loadAdapterFolder } from "../adapters/adapter-folder.js";
import {
  mixedFeeds,
  randomizeTaskAdapters,
  runOnce,
  singleLogits,
  TINY_CONFIG,
  tinyMultiTask,
  traceMultiTask,
} from "../testing/task-adapters-fixtures.js";
import { maxAbsDiff } from "../testing/tiny-bert.js";
import { saveTaskAdapter, taskAdapterModel } from "./task-adapter-export.js";
import type { TaskAdapterSpec } from "./task-adapters-options.js";
import { taskAdapters } from "./task-adapters.js";
import { formatTaskAdaptersReport, taskAdaptersParameterReport } from "./task-adapters-report.js";

const backend = createReferenceBackend();
const TASKS = ["sst2", "stsb"];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The single-task base a user would load: the pre-trained encoder with the task's label count. */
function pretrainedBase(multi: MultiTaskModel, numLabels: number): BertForSequenceClassification {
  const single = new BertForSequenceClassification(TINY_CONFIG, { numLabels, seed: 9 });
  for (const [path, p] of single.namedParameters()) {
    if (path.startsWith("bert.")) p.value = multi.getParameter(path).value;
  }
  return single;
}

const rowsOf = (data: ArrayLike<number>, ids: readonly number[], task: number): number[] => {
  const c = data.length / ids.length;
  return ids.flatMap((t, i) => (t === task ? Array.from(data).slice(i * c, (i + 1) * c) : []));
};

describe("saveTaskAdapter: one task as a plain adapter folder the existing loaders read", () => {
  const cases: [string, TaskAdapterSpec, string][] = [
    ["lora", { method: "lora", r: 2, alpha: 4 }, "LORA"],
    ["ia3", { method: "ia3" }, "IA3"],
    ["houlsby", { method: "bottleneck", reductionFactor: 4 }, "tunekit-bottleneck/1"],
  ];
  for (const [name, spec, kind] of cases) {
    it(`${name}: loadAdapterFolder(base, dir) gives the task's logits of the mixed batch`, async () => {
      const multi = tinyMultiTask(3);
      const adapted = taskAdapters({ tasks: TASKS, adapter: spec }).apply(multi) as MultiTaskModel;
      randomizeTaskAdapters(adapted, 4);
      for (const [path, p] of adapted.namedParameters()) {
        if (path.startsWith("heads.")) p.value = { ...p.value, data: p.value.data.map((v) => v + 0.25) };
      }
      const ids = [0, 1, 1, 0, 1];
      const feeds = mixedFeeds(ids);
      const out = await runOnce(backend, traceMultiTask(adapted, feeds).graph, feeds);
      let worst = 0;
      for (const [t, task] of TASKS.entries()) {
        const dir = await mkdtemp(join(tmpdir(), `tunekit-task-${name}-`));
        dirs.push(dir);
        const saved = await saveTaskAdapter(adapted, task, dir);
        const config = JSON.parse(await readFile(saved.configPath, "utf8"));
        expect(config.peft_type ?? config.format).toBe(kind);
        // a plain single-adapter file: no task names in LoRA / IA3 keys, the head as classifier
        const keys = [...(await readSafetensorsFile(saved.weightsPath)).tensors.keys()];
        expect(keys.some((k) => k.endsWith("classifier.weight"))).toBe(true);
        if (kind !== "tunekit-bottleneck/1") expect(keys.some((k) => k.includes(task))).toBe(false);
        else expect(config.name).toBe(task);
        const loaded = await loadAdapterFolder(pretrainedBase(multi, t === 0 ? 2 : 1), dir);
        const alone = rowsOf(await singleLogits(backend, loaded, feeds), ids, t);
        worst = Math.max(worst, maxAbsDiff(rowsOf(out[`logits_${t}`]!.data, ids, t), alone));
      }
      console.info(
        `${name}: saved and reloaded task adapters vs the mixed batch: max abs diff ${worst.toExponential(2)}`,
      );
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }

  it("taskAdapterModel on a one-head BERT model (tasks share the classifier); unknown task is an error", async () => {
    const multi = tinyMultiTask(3);
    const single = pretrainedBase(multi, 2);
    const adapted = taskAdapters({ tasks: ["a", "b"], adapter: { method: "lora", r: 2 } }).apply(single);
    randomizeTaskAdapters(adapted, 8);
    expect(() => taskAdapterModel(adapted, "c")).toThrow(
      /no task "c" in this task-adapters model; its tasks: \[a, b\]/,
    );
    const dir = await mkdtemp(join(tmpdir(), "tunekit-task-one-head-"));
    dirs.push(dir);
    await saveTaskAdapter(adapted, "b", dir);
    const a = await singleLogits(backend, await loadAdapterFolder(single, dir), mixedFeeds([0, 0]));
    const b = await singleLogits(backend, taskAdapterModel(adapted, "b"), mixedFeeds([0, 0]));
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
  });
});

describe("taskAdaptersParameterReport", () => {
  it("per added task: one adapter and its head; against full copies", () => {
    const multi = tinyMultiTask();
    const adapted = taskAdapters({ tasks: TASKS, adapter: { method: "lora", r: 2 } }).apply(multi);
    const r = taskAdaptersParameterReport(adapted);
    // query and value in 2 layers: (A [2, 8] + B [8, 2]) each
    expect(r.adapter).toBe(2 * 2 * (16 + 16));
    expect(r.heads).toEqual({ sst2: 8 * 2 + 2, stsb: 8 + 1 });
    const baseCount = multi
      .namedParameters()
      .filter(([p]) => !p.startsWith("heads."))
      .reduce((n, [, p]) => n + p.value.data.length, 0);
    expect(r.base).toBe(baseCount);
    expect(r.perAddedTask).toBe(r.adapter + 18);
    expect(r.totals.taskAdapters).toBe(baseCount + 2 * r.adapter + 18 + 9);
    expect(r.totals.fullCopies).toBe(2 * baseCount + 18 + 9);
    expect(formatTaskAdaptersReport(r)).toMatch(/task adapters \(lora\): tasks \[sst2, stsb\]/);
    expect(() => taskAdaptersParameterReport(multi)).toThrow(/was not made by taskAdapters/);
  });
});
