import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import * as tk from "../entries/trainer.js";
import * as models from "../entries/models.js";
import { tinyTrainerConfig, toyData } from "./trainer-fixtures.js";
import { globalL2Norm, relativeL2Error } from "./parity-metrics.js";

const HEADS: readonly models.TaskHeadSpec[] = [
  { name: "cls", kind: "classification", numLabels: 2, lossWeight: 0.7 },
  { name: "reg", kind: "regression" },
  { name: "tok", kind: "token-classification", numLabels: 2 },
];
const mixture = (): tk.TaskMixture => ({
  tasks: [
    { name: "cls", train: toyData(24, 1, "classification"), eval: toyData(8, 11, "classification") },
    { name: "reg", train: toyData(16, 2, "regression"), eval: toyData(8, 12, "regression") },
    { name: "tok", train: toyData(8, 3, "tokens") },
  ],
  sampling: { strategy: "temperature", temperature: 2 },
  batching: "mixed",
});

/**
 * Registers the multi-task tests on a backend: a mixed batch (rows of three tasks, each to
 * its own head) gives the reference backend's joint loss and per-task losses (relative L2 ≤
 * 1e-5) and every parameter's gradient (relative L2 ≤ 1e-4, from one SGD step), and a mixture fit with mixed batches and
 * dropout resumes bit-exactly mid-epoch (the task sampler's state included).
 *
 * @example
 * ```ts
 * describeMultiTaskTraining("ONNX Runtime", () => createOnnxBackend());
 * ```
 */
export function describeMultiTaskTraining(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
): void {
  let backend: Backend | undefined;
  beforeAll(async () => {
    backend = await createBackend();
  });
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  describe(`multi-task training on ${backendName}`, () => {
    it("a mixed batch: joint and per-task losses and every gradient match the reference backend", async () => {
      const run = async (b: Backend) => {
        const model = new models.MultiTaskModel(tinyTrainerConfig(2), HEADS, { seed: 2 });
        const source = new tk.MixtureSource(mixture(), model.tasks);
        const feeds = source.collate(Int32Array.of(0, 30, 41, 5, 26, 44, 9, 33), "longest", true).feeds;
        const runner = new tk.TrainStepRunner({
          backend: b,
          params: model.namedParameters().map(([, p]) => p),
          forward: tk.trainerForward(model),
          optimizer: tk.sgd(),
        });
        const before = new Map(model.namedParameters().map(([n, p]) => [n, p.value.data]));
        const out = await runner.evaluate(feeds);
        await runner.step(feeds, { lr: 1 });
        await runner.dispose();
        // with SGD at lr 1 the update is minus the gradient
        const grads = new Map(
          model.namedParameters().map(([n, p]) => [n, p.value.data.map((v, i) => before.get(n)![i]! - v)]),
        );
        return { out, grads };
      };
      const want = await run(createReferenceBackend());
      const got = await run(backend!);
      for (const name of ["loss", "loss_0", "loss_1", "loss_2", "logits_0", "logits_1", "logits_2"]) {
        expect(relativeL2Error(got.out[name]!.data, want.out[name]!.data), name).toBeLessThan(1e-5);
      }
      // a gradient below 1e-6 of the whole is float32 rounding noise (the attention key bias'
      // exact gradient is 0), as in the PyTorch parity checks
      const floor = 1e-6 * globalL2Norm([...want.grads.values()]);
      for (const [name, g] of want.grads) {
        expect(relativeL2Error(got.grads.get(name)!, g, floor), name).toBeLessThan(1e-4);
      }
    });

    it("a mixture fit (mixed batches, dropout on) resumes bit-exactly mid-epoch", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tunekit-mt-resume-"));
      dirs.push(dir);
      const options = (
        model: tk.TrainerModel,
        extra: Partial<tk.TrainerOptions> = {},
      ): tk.TrainerOptions => ({
        model,
        backend: backend!,
        batchSize: 8,
        maxSteps: 5,
        lr: 5e-3,
        seed: 4,
        padding: { buckets: [8, 16] },
        ...extra,
      });
      const full = new models.MultiTaskModel(tinyTrainerConfig(2), HEADS, { seed: 1 });
      await new tk.Trainer(options(full)).fit(mixture());
      const first = new models.MultiTaskModel(tinyTrainerConfig(2), HEADS, { seed: 1 });
      const stop = { onStep: (s: tk.StepInfo) => (s.step === 2 ? "stop" : undefined) };
      await new tk.Trainer(options(first, { checkpoints: { dir }, callbacks: [stop] })).fit(mixture());
      const second = new models.MultiTaskModel(tinyTrainerConfig(2), HEADS, { seed: 9 });
      const resumed = await new tk.Trainer(options(second, { checkpoints: { dir } })).fit(mixture(), {
        resumeFrom: "latest",
      });
      expect(resumed.step).toBe(5);
      const want = new Map(full.namedParameters().map(([n, p]) => [n, p.value.data]));
      for (const [name, p] of second.namedParameters()) expect(p.value.data, name).toEqual(want.get(name));
    });
  });
}
