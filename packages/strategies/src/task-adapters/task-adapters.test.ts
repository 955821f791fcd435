import { createReferenceBackend, isTunekitError } from "@tunekit/core";
import { evaluateGraphFloat64, Graph } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import type { MultiTaskModel } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { nudged } from "../testing/hyperformer-trace.js";
import {
  int32,
  mixedFeeds,
  randomizeTaskAdapters,
  runOnce,
  singleLogits,
  tinyMultiTask,
  traceMultiTask,
} from "../testing/task-adapters-fixtures.js";
import { maxAbsDiff } from "../testing/tiny-bert.js";
import type { TaskAdapterSpec } from "./task-adapters-options.js";
import { taskAdapterModel } from "./task-adapter-export.js";
import { taskAdapterParameters, taskAdapters } from "./task-adapters.js";

const backend = createReferenceBackend();
const TASKS = ["sst2", "stsb"];

const SPECS: Record<string, TaskAdapterSpec> = {
  lora: { method: "lora", r: 2, alpha: 4, targetModules: ["query", "value", "dense"] },
  rslora: { method: "lora", r: 3, alpha: 2, useRslora: true },
  ia3: { method: "ia3" },
  houlsby: { method: "bottleneck", architecture: "houlsby", reductionFactor: 4 },
  pfeiffer: { method: "bottleneck", architecture: "pfeiffer", reductionFactor: 2, lnAfter: true },
  parallel: { method: "bottleneck", architecture: "parallel", reductionFactor: 4 },
};

const rowsOf = (data: ArrayLike<number>, ids: readonly number[], task: number): number[] => {
  const c = data.length / ids.length;
  return ids.flatMap((t, i) => (t === task ? Array.from(data).slice(i * c, (i + 1) * c) : []));
};

describe("taskAdapters: one adapter per task, rows routed by task_ids", () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    it(`${name}: each row of a mixed batch equals the single-task model with only its task's adapter (reference backend)`, async () => {
      const base = tinyMultiTask();
      const adapted = taskAdapters({ tasks: TASKS, adapter: spec }).apply(base) as MultiTaskModel;
      randomizeTaskAdapters(adapted, 11);
      const ids = [1, 0, 0, 1, 1, 0];
      const feeds = mixedFeeds(ids);
      const { graph } = traceMultiTask(adapted, feeds);
      const out = await runOnce(backend, graph, feeds);
      // every row through the other task's adapter (heads unchanged)
      const swapped = await runOnce(backend, graph, {
        ...feeds,
        task_ids: int32(
          [ids.length],
          ids.map((t) => 1 - t),
        ),
      });
      let worst = 0;
      let spread = 0;
      for (const [t, task] of TASKS.entries()) {
        const mixed = rowsOf(out[`logits_${t}`]!.data, ids, t);
        const alone = rowsOf(await singleLogits(backend, taskAdapterModel(adapted, task), feeds), ids, t);
        worst = Math.max(worst, maxAbsDiff(mixed, alone));
        spread = Math.max(spread, maxAbsDiff(rowsOf(swapped[`logits_${t}`]!.data, ids, t), alone));
      }
      console.info(
        `${name}: mixed batch vs single-task models: max abs diff ${worst.toExponential(2)} (adapters differ by ${spread.toFixed(3)})`,
      );
      expect(worst).toBeLessThanOrEqual(1e-6);
      // the two tasks' adapters really differ, so routing a row to the wrong one would fail above
      expect(spread).toBeGreaterThan(1e-3);
    });
  }

  it("the base is frozen; only the adapters and heads train; PEFT / AdapterHub multi-adapter paths", () => {
    const base = tinyMultiTask();
    const lora = taskAdapters({ tasks: TASKS, adapter: SPECS.lora! }).apply(base);
    const trainable = lora
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n);
    expect(trainable).toContain("bert.encoder.layer.0.attention.self.query.lora_A.sst2.weight");
    expect(trainable).toContain("bert.encoder.layer.1.output.dense.lora_B.stsb.weight");
    expect(trainable).toContain("heads.stsb.classifier.weight");
    expect(
      trainable.every((n) => /\.lora_[AB]\.(sst2|stsb)\.weight$/.test(n) || n.startsWith("heads.")),
    ).toBe(true);
    // the given model is untouched: its heads are still its own trainable Parameters
    expect(base.getParameter("heads.sst2.classifier.weight")).not.toBe(
      lora.getParameter("heads.sst2.classifier.weight"),
    );
    expect(base.getParameter("bert.embeddings.word_embeddings.weight")).toBe(
      lora.getParameter("bert.embeddings.word_embeddings.weight"),
    );
    const ia3 = taskAdapters({ tasks: TASKS, adapter: { method: "ia3" } }).apply(base);
    expect(taskAdapterParameters(ia3, "stsb").map(([n]) => n)).toContain(
      "bert.encoder.layer.0.attention.self.key.ia3_l.stsb",
    );
    const houlsby = taskAdapters({ tasks: TASKS, adapter: SPECS.houlsby! }).apply(base);
    expect(taskAdapterParameters(houlsby, "sst2").map(([n]) => n)).toContain(
      "bert.encoder.layer.1.attention.output.adapters.sst2.adapter_down.0.weight",
    );
  });

  for (const name of ["lora", "ia3", "houlsby"] as const) {
    it(`${name}: a task with no rows in the batch gets exactly zero gradient; gradients match finite differences`, () => {
      const adapted = taskAdapters({ tasks: TASKS, adapter: SPECS[name]! }).apply(
        tinyMultiTask(),
      ) as MultiTaskModel;
      randomizeTaskAdapters(adapted, 5, 0.3);
      const check = (ids: number[]) => {
        const feeds = mixedFeeds(ids, 4, 3);
        const { graph, loss } = traceMultiTask(adapted, feeds);
        const params = TASKS.map((t) => taskAdapterParameters(adapted, t));
        const all = params.flat();
        grad(
          loss,
          all.map(([, p]) => graph.param(p)),
        ).forEach((t, i) => {
          graph.output(`grad.${i}`, t);
        });
        const values = evaluateGraphFloat64(graph, feeds);
        const norms = params.map((ps) =>
          ps.reduce((m, [n]) => {
            const i = all.findIndex(([k]) => k === n);
            return Math.max(m, ...Array.from(values[`grad.${i}`]!.data, Math.abs));
          }, 0),
        );
        return { graph, feeds, values, all, norms };
      };
      // only sst2 rows: every stsb adapter gradient is exactly 0, sst2's are not
      const only0 = check([0, 0, 0]);
      expect(only0.norms[1]).toBe(0);
      expect(only0.norms[0]).toBeGreaterThan(1e-4);
      // a mixed batch: both move, and central differences (float64) agree
      const mixed = check([1, 0, 1]);
      expect(Math.min(...mixed.norms)).toBeGreaterThan(1e-4);
      let worst = 0;
      for (const [k, [, p]] of mixed.all.entries()) {
        if (k % 3 !== 0) continue; // a spread of the parameters keeps the test fast
        const a = mixed.values[`grad.${k}`]!.data;
        const j = Math.floor(p.value.data.length / 2);
        const lossAt = (d: number): number =>
          evaluateGraphFloat64(mixed.graph, { ...mixed.feeds, [p.name]: nudged(p.value, j, d) }, ["loss"])
            .loss!.data[0]!;
        const numeric = (lossAt(1e-5) - lossAt(-1e-5)) / 2e-5;
        worst = Math.max(worst, Math.abs(numeric - a[j]!));
      }
      console.info(`${name}: finite differences vs autodiff: max abs error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it("typed errors: task list vs the model's, DoRA, an unknown method, a missing task_ids", () => {
    const base = tinyMultiTask();
    expect(() => taskAdapters({ tasks: ["stsb", "sst2"], adapter: { method: "ia3" } }).apply(base)).toThrow(
      /must be the MultiTaskModel's tasks in its order \(\[sst2, stsb\]\)/,
    );
    let err: unknown;
    try {
      taskAdapters({ tasks: TASKS, adapter: { method: "lora", useDora: true } as TaskAdapterSpec });
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "NOT_IMPLEMENTED")).toBe(true);
    expect(() =>
      taskAdapters({ tasks: TASKS, adapter: { method: "prefix" } as unknown as TaskAdapterSpec }),
    ).toThrow(/adapter.method must be one of lora, ia3, bottleneck, got "prefix"/);
    expect(() => taskAdapters({ tasks: [], adapter: { method: "ia3" } })).toThrow(/non-empty list/);
    const adapted = taskAdapters({ tasks: TASKS, adapter: { method: "ia3" } }).apply(base) as MultiTaskModel;
    const g = new Graph();
    const inputs = {
      input_ids: g.input("input_ids", "int32", [2, 3]),
      task_ids: g.input("task_ids", "int32", [2]),
    };
    expect(() => adapted.forwardBatch(inputs, { training: false })).toThrow(
      /task-adapters model serves 2 tasks \[sst2, stsb\] and needs a task_ids input.*saveTaskAdapter/,
    );
  });
});
