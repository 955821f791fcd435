/**
 * The multi-task bench case, run in its own process: a mixed-batch step of a 4-task
 * `MultiTaskModel` (two 2-class heads, a 3-class head and a regression head; each row routed
 * to its task's head by `task_ids`) against a single-task step of `BertForSequenceClassification`
 * on the same encoder sizes, batch and length, full fine-tuning on onnx. Steps alternate
 * between the two, so both see the same machine load; prints one JSON line with the ratio.
 *
 * usage: tsx --conditions=@tunekit/source scripts/bench/multitask-case.ts '<MultiTaskSpec as JSON>'
 */
import * as tk from "@tunekit/core";
import * as models from "@tunekit/core/models";
import type * as trainer from "@tunekit/core/trainer";
import { type BenchSizes, benchBatch, benchForward, benchModel } from "./bert-case.js";
import { median } from "./time-steps.js";

/** What the parent asks this child to time. */
export interface MultiTaskSpec {
  readonly sizes: BenchSizes;
  readonly warmup: number;
  readonly steps: number;
  readonly threads: number;
}

const TASKS: readonly models.TaskHeadSpec[] = [
  { name: "sst2", kind: "classification", numLabels: 2 },
  { name: "mrpc", kind: "classification", numLabels: 2 },
  { name: "stsb", kind: "regression" },
  { name: "mnli", kind: "classification", numLabels: 3 },
];

/** The single-task batch with rows spread over the four tasks (labels -100 / 0 elsewhere). */
function mixedBatch(s: BenchSizes): Record<string, tk.HostTensor> {
  const base = benchBatch(s);
  const taskOf = (i: number): number => i % TASKS.length;
  const feeds: Record<string, tk.HostTensor> = {
    input_ids: base.input_ids!,
    attention_mask: base.attention_mask!,
    token_type_ids: base.token_type_ids!,
    task_ids: tk.hostTensor(
      "int32",
      [s.batch],
      Array.from({ length: s.batch }, (_, i) => taskOf(i)),
    ),
  };
  TASKS.forEach((t, k) => {
    const rows = Array.from({ length: s.batch }, (_, i) => i);
    feeds[models.MULTI_TASK_INPUTS.labels(k)] =
      t.kind === "regression"
        ? tk.hostTensor(
            "float32",
            [s.batch],
            rows.map((i) => (taskOf(i) === k ? (i % 5) * 0.5 : 0)),
          )
        : tk.hostTensor(
            "int32",
            [s.batch],
            rows.map((i) => (taskOf(i) === k ? i % (t.numLabels ?? 2) : -100)),
          );
  });
  return feeds;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as MultiTaskSpec;
  const onnx = await import("@tunekit/backend-onnx");
  const backend = await onnx.createOnnxBackend({ intraOpNumThreads: spec.threads });
  const single = benchModel(spec.sizes);
  const multi = new models.MultiTaskModel(single.config, TASKS, { seed: 0 });
  const runner = (params: tk.Parameter[], forward: trainer.ForwardFn) =>
    new tk.TrainStepRunner({ backend, params, forward, optimizer: tk.adamw({ weightDecay: 0.01 }) });
  const singleRunner = runner(single.parameters(), benchForward(single));
  const multiRunner = runner(multi.parameters(), tk.trainerForward(multi));
  const singleBatch = benchBatch(spec.sizes);
  const multiBatch = mixedBatch(spec.sizes);
  for (let i = 0; i <= spec.warmup; i++) {
    await singleRunner.step(singleBatch, { lr: 1e-5 });
    await multiRunner.step(multiBatch, { lr: 1e-5 });
  }
  const singleTimes: number[] = [];
  const multiTimes: number[] = [];
  for (let i = 0; i < spec.steps; i++) {
    let t = performance.now();
    await singleRunner.step(singleBatch, { lr: 1e-5 });
    singleTimes.push((performance.now() - t) / 1000);
    t = performance.now();
    await multiRunner.step(multiBatch, { lr: 1e-5 });
    multiTimes.push((performance.now() - t) / 1000);
  }
  await singleRunner.dispose();
  await multiRunner.dispose();
  backend.dispose();
  const s = median(singleTimes);
  const m = median(multiTimes);
  console.log(
    JSON.stringify({
      backend: "onnx",
      mode: "multitask",
      tasks: TASKS.length,
      L: spec.sizes.layers,
      H: spec.sizes.hidden,
      batch: spec.sizes.batch,
      seq: spec.sizes.seq,
      steps: spec.steps,
      single_task_step_s: +s.toFixed(4),
      mixed_batch_step_s: +m.toFixed(4),
      mixed_over_single: +(m / s).toFixed(3),
      target: "<= 1.15",
    }),
  );
}

await main();
