import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import {
  type Backend,
  createReferenceBackend,
  sgd,
  Trainer,
  TrainStepRunner,
  trainerForward,
} from "@tunekit/core";
import type { MultiTaskModel } from "@tunekit/core/models";
import type { TaskMixture } from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import {
  mixedFeeds,
  randomizeTaskAdapters,
  tinyMultiTask,
  toyTaskData,
} from "../testing/task-adapters-fixtures.js";
import { maxAbsDiff } from "../testing/tiny-bert.js";
import type { TaskAdapterSpec } from "./task-adapters-options.js";
import { taskAdapterParameters, taskAdapters } from "./task-adapters.js";

const TASKS = ["sst2", "stsb"];
const mixture: TaskMixture = {
  tasks: [
    {
      name: "sst2",
      train: toyTaskData(48, 1, "classification"),
      eval: toyTaskData(16, 11, "classification"),
    },
    { name: "stsb", train: toyTaskData(32, 2, "regression"), eval: toyTaskData(16, 12, "regression") },
  ],
  sampling: { strategy: "temperature", temperature: 2 },
  batching: "mixed",
};

describe("taskAdapters training", () => {
  it("Trainer.fit on a task mixture (mixed batches, reference backend): the loss goes down, the base stays put", async () => {
    const base = tinyMultiTask(4);
    const model = taskAdapters({ tasks: TASKS, adapter: { method: "lora", r: 4, alpha: 8 } }).apply(base);
    const before = new Map(model.namedParameters().map(([n, p]) => [n, p.value]));
    const trainer = new Trainer({
      model,
      backend: createReferenceBackend(),
      batchSize: 8,
      epochs: 4,
      lr: 1e-2,
      schedule: "constant",
      seed: 3,
    });
    try {
      const start = await trainer.evaluate(mixture);
      const result = await trainer.fit(mixture);
      const end = result.evaluations.at(-1)!;
      console.info(
        `task adapters (lora r4) on a 2-task mixture: eval loss ${start.loss.toFixed(4)} -> ${end.loss.toFixed(4)} in ${result.step} steps`,
      );
      expect(end.loss).toBeLessThan(start.loss * 0.9);
      for (const t of TASKS) expect(end.metrics[`${t}/loss`]!).toBeLessThan(start.metrics[`${t}/loss`]!);
    } finally {
      await trainer.dispose();
    }
    const adapterPaths = new Set(TASKS.flatMap((t) => taskAdapterParameters(model, t).map(([n]) => n)));
    for (const [n, p] of model.namedParameters()) {
      const moved = maxAbsDiff(p.value.data, before.get(n)!.data) > 0;
      if (adapterPaths.has(n) && n.includes("lora_B")) expect(moved, n).toBe(true);
      if (!adapterPaths.has(n) && !n.startsWith("heads.")) expect(moved, n).toBe(false);
    }
  });

  // One SGD step on a mixed batch: the loss and every updated adapter / head value agree with
  // the reference backend on ONNX Runtime (the whole step lowered to one ONNX model) and tfjs-wasm.
  const specs: [string, TaskAdapterSpec][] = [
    ["lora", { method: "lora", r: 2, alpha: 4 }],
    ["ia3", { method: "ia3" }],
    ["houlsby", { method: "bottleneck", reductionFactor: 4 }],
  ];
  it("a mixed-batch training step matches the reference backend on onnx and tfjs-wasm", async () => {
    const step = async (backend: Backend, spec: TaskAdapterSpec) => {
      const model = taskAdapters({ tasks: TASKS, adapter: spec }).apply(tinyMultiTask(5)) as MultiTaskModel;
      randomizeTaskAdapters(model, 6, 0.3);
      const runner = new TrainStepRunner({
        backend,
        params: model.parameters(),
        forward: trainerForward(model),
        optimizer: sgd({ momentum: 0 }),
      });
      try {
        const { loss } = await runner.step(mixedFeeds([1, 0, 0, 1]), { lr: 0.5 });
        return { loss, values: model.namedParameters().filter(([, p]) => p.trainable) };
      } finally {
        await runner.dispose();
      }
    };
    const backends: [string, () => Promise<Backend>][] = [
      ["onnx", () => createOnnxBackend()],
      ["tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} })],
    ];
    for (const [name, spec] of specs) {
      const want = await step(createReferenceBackend(), spec);
      for (const [backendName, make] of backends) {
        const backend = await make();
        try {
          const got = await step(backend, spec);
          let worst = 0;
          got.values.forEach(([, p], i) => {
            worst = Math.max(worst, maxAbsDiff(p.value.data, want.values[i]![1].value.data));
          });
          console.info(
            `${name} on ${backendName}: loss diff ${Math.abs(got.loss - want.loss).toExponential(2)}, worst updated value diff ${worst.toExponential(2)}`,
          );
          expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
          expect(worst).toBeLessThan(1e-5);
        } finally {
          backend.dispose();
        }
      }
    }
  });
});
