// E2, accuracy against trainable parameters per task on four GLUE tasks (SST-2, MRPC, RTE,
// STS-B), each capped at a few thousand training rows: HyperFormer++ and HyperFormer over the
// mixture, multi-task full fine-tuning over the mixture, per-task adapters over the mixture
// (when @tunekit/strategies exports `taskAdapters`), single-task full fine-tuning and heads
// only (one run per task).
//
//   npx tsx --conditions=@tunekit/source scripts/e2-params-per-task.ts [--seeds 1,2,3]
//     [--cap 2000] [--epochs 1] [--methods hyperformer++,hyperformer,...] [--out e2-params-per-task]
//
// A seed draws each task's rows (up to --cap of its train split) and seeds heads, sampling,
// shuffling and dropout; every method of a seed sees the same rows. Every task is seen for the
// same number of rows in expectation: a mixture run draws Σ n_i · epochs rows (proportional
// sampling), a single-task run n_i · epochs rows.
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createStrategy } from "@tunekit/cli";
import { loadTokenizer, type Module, parameterReport, type Strategy, type TrainerModel } from "@tunekit/core";
import type { TaskMixture } from "@tunekit/core/trainer";
import * as strategies from "@tunekit/strategies";
import {
  type Budget,
  commandLine,
  loadTask,
  MODEL_DIR,
  meanStd,
  multiTaskModel,
  OUT_DIR,
  parseSeeds,
  pm,
  ResultsFile,
  sampleRows,
  singleTaskModel,
  type TaskData,
  trainAndEvaluate,
  writePage,
} from "./experiments/common.js";
import { scatterChart } from "./experiments/svg.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    tasks: { type: "string", default: "sst2,mrpc,rte,stsb" },
    cap: { type: "string", default: "2000" },
    epochs: { type: "string", default: "1" },
    methods: { type: "string" },
    out: { type: "string", default: "e2-params-per-task" },
  },
});
const seeds = parseSeeds(values.seeds, [1, 2, 3]);
const cap = Number(values.cap);
const epochs = Number(values.epochs);
const MAX_LEN = 64;
const BATCH = 32;
const taskAdapters = (strategies as Record<string, unknown>).taskAdapters as
  | ((o: { tasks: readonly string[]; adapter: Record<string, unknown> }) => Strategy)
  | undefined;

/**
 * The hypernetworks' lr. At 5e-3 (the other parameter-efficient methods' lr) a first run
 * (seed 1, 1,000 rows per task, one epoch) ended with both variants predicting each task's
 * majority class (STS-B: one constant score), so they get 1e-3.
 */
const HYPER_LR = 1e-3;

/** A compared method: mixture or per task, how its strategy is made, its lr. */
interface MethodCase {
  readonly label: string;
  readonly mixture: boolean;
  readonly lr: number;
  readonly make: (tasks: readonly string[]) => Promise<Strategy>;
}
const ALL: MethodCase[] = [
  {
    label: "hyperformer++",
    mixture: true,
    lr: HYPER_LR,
    make: (tasks) => createStrategy({ method: "hyperformer++", options: {} }, "e2", { tasks }),
  },
  {
    label: "hyperformer",
    mixture: true,
    lr: HYPER_LR,
    make: (tasks) => createStrategy({ method: "hyperformer", options: {} }, "e2", { tasks }),
  },
  ...(taskAdapters === undefined
    ? []
    : [
        {
          label: "per-task adapters (houlsby)",
          mixture: true,
          lr: 5e-3,
          make: async (tasks: readonly string[]) =>
            taskAdapters({ tasks, adapter: { method: "bottleneck", architecture: "houlsby" } }),
        },
      ]),
  {
    label: "multi-task full",
    mixture: true,
    lr: 1e-3,
    make: () => createStrategy({ method: "full", options: {} }, "e2"),
  },
  {
    label: "single-task full",
    mixture: false,
    lr: 1e-3,
    make: () => createStrategy({ method: "full", options: {} }, "e2"),
  },
  {
    label: "head only",
    mixture: false,
    lr: 5e-3,
    make: () => createStrategy({ method: "head-only", options: {} }, "e2"),
  },
];
const wanted = values.methods?.split(",");
const methods = wanted === undefined ? ALL : ALL.filter((m) => wanted.includes(m.label));

const started = performance.now();
const log = (s: string): void =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${s}`);
const tokenizer = await loadTokenizer(MODEL_DIR);
const tasks: TaskData[] = [];
for (const name of values.tasks.split(",")) tasks.push(await loadTask(name, tokenizer, MAX_LEN));
const names = tasks.map((t) => t.name);
const metricOf = (t: TaskData): string => (t.task === "regression" ? "pearson" : "accuracy");
const backend = await createOnnxBackend();
const results = await ResultsFile.create(values.out);

interface Row {
  readonly seed: number;
  readonly method: string;
  readonly scores: number[]; // per task, in `names` order
  readonly trainable: number; // all trainable parameters of the run(s)
  readonly perTask: number; // trainable parameters per task
  readonly seconds: number;
}
const rows: Row[] = [];
/** Runs whose Pearson was NaN (a constant prediction): counted as 0. */
const constant: string[] = [];
const scoreOf = (v: number | undefined, where: string): number => {
  if (v === undefined || Number.isNaN(v)) {
    constant.push(where);
    return 0;
  }
  return v;
};

try {
  for (const seed of seeds) {
    const train = tasks.map((t) => sampleRows(t.train!, cap, seed));
    const sizes = train.map((d) => d.lengths.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const m of methods) {
      if (m.mixture) {
        const model = (await m.make(names)).apply(await multiTaskModel(tasks, seed)) as Module & TrainerModel;
        const trainable = parameterReport(model).trainable;
        const mixture: TaskMixture = {
          tasks: tasks.map((t, i) => ({ name: t.name, train: train[i]!, eval: t.dev!, metric: metricOf(t) })),
          sampling: { strategy: "proportional" },
          batching: "mixed",
        };
        const budget: Budget = {
          steps: Math.ceil((total * epochs) / BATCH),
          batchSize: BATCH,
          maxLength: MAX_LEN,
          lr: m.lr,
          seed,
        };
        const r = await trainAndEvaluate(model, backend, mixture, budget);
        const scores = tasks.map((t) =>
          scoreOf(r.metrics[`${t.name}/${metricOf(t)}`], `${m.label} seed ${seed} ${t.name}`),
        );
        rows.push({
          seed,
          method: m.label,
          scores,
          trainable,
          perTask: trainable / tasks.length,
          seconds: r.trainSeconds,
        });
        await results.add({
          experiment: "e2",
          seed,
          config: {
            method: m.label,
            mixture: true,
            sizes,
            sampling: "proportional",
            batching: "mixed",
            ...budget,
          },
          metrics: r.metrics,
          trainable,
          trainSeconds: r.trainSeconds,
        });
      } else {
        const scores: number[] = [];
        let trainable = 0;
        let seconds = 0;
        for (const [i, t] of tasks.entries()) {
          const model = (await m.make(names)).apply(
            await singleTaskModel(t, tokenizer, MAX_LEN, seed),
          ) as Module & TrainerModel;
          trainable += parameterReport(model).trainable;
          const budget: Budget = {
            steps: Math.ceil((sizes[i]! * epochs) / BATCH),
            batchSize: BATCH,
            maxLength: MAX_LEN,
            lr: m.lr,
            seed,
          };
          const r = await trainAndEvaluate(model, backend, train[i]!, budget, t.dev!);
          scores.push(scoreOf(r.metrics[metricOf(t)], `${m.label} seed ${seed} ${t.name}`));
          seconds += r.trainSeconds;
          await results.add({
            experiment: "e2",
            seed,
            config: { method: m.label, mixture: false, task: t.name, rows: sizes[i], ...budget },
            metrics: r.metrics,
            trainable: parameterReport(model).trainable,
            trainSeconds: r.trainSeconds,
          });
        }
        rows.push({ seed, method: m.label, scores, trainable, perTask: trainable / tasks.length, seconds });
      }
      const last = rows[rows.length - 1]!;
      log(
        `seed ${seed} ${m.label}: ${names.map((n, i) => `${n} ${last.scores[i]!.toFixed(4)}`).join(", ")}; macro ${meanStd(last.scores).mean.toFixed(4)}; ${Math.round(last.perTask).toLocaleString("en-US")} trainable per task (${last.seconds.toFixed(0)}s)`,
      );
    }
  }
} finally {
  backend.dispose();
}

// ---- report ----
const of = (label: string): Row[] => rows.filter((r) => r.method === label);
const macro = (r: Row): number => meanStd(r.scores).mean;
const table = [
  `| method | trainable per task | trainable in all | ${tasks.map((t) => `${t.name} ${metricOf(t)}`).join(" | ")} | macro | train s (all tasks) |`,
  `| --- | ---: | ---: | ${tasks.map(() => "---:").join(" | ")} | ---: | ---: |`,
];
for (const m of methods) {
  const rs = of(m.label);
  if (rs.length === 0) continue;
  table.push(
    `| ${m.label} | ${Math.round(rs[0]!.perTask).toLocaleString("en-US")} | ${rs[0]!.trainable.toLocaleString("en-US")} | ${tasks.map((_, i) => pm(rs.map((r) => r.scores[i]!))).join(" | ")} | ${pm(rs.map(macro))} | ${meanStd(rs.map((r) => r.seconds)).mean.toFixed(0)} |`,
  );
}
await scatterChart(`${OUT_DIR}/${values.out}.svg`, {
  title: `E2: macro dev score against trainable parameters per task (${seeds.length} seeds)`,
  xLabel: "trainable parameters per task (log scale)",
  yLabel: `macro dev score (${tasks.map(metricOf).join(" / ")})`,
  series: methods.map((m) => m.label),
  points: methods.flatMap((m, si) => {
    const rs = of(m.label);
    if (rs.length === 0) return [];
    const s = meanStd(rs.map(macro));
    return [{ x: rs[0]!.perTask, y: s.mean, std: s.std, series: si }];
  }),
  logX: true,
});
const wall = (performance.now() - started) / 1000;
await writePage(values.out, {
  title: "E2: accuracy against trainable parameters per task",
  command: commandLine("scripts/e2-params-per-task.ts"),
  wallSeconds: wall,
  body: `
**Setup.** Base: \`${MODEL_DIR}\` (4 layers, hidden 128, pre-trained by tunekit). Tasks: ${tasks.map((t) => `${t.name} (up to ${cap} of ${t.train!.lengths.length} train rows drawn per seed; dev ${t.dev!.lengths.length})`).join(", ")}.
Mixture methods train one \`MultiTaskModel\` (a head per task) with \`Trainer.fit(mixture)\`: proportional sampling, mixed batches,
Σ n_i · ${epochs} / ${BATCH} steps; single-task methods train one model per task for n_i · ${epochs} / ${BATCH} steps, so each task
is seen for the same number of rows in expectation. Batch ${BATCH}, max length ${MAX_LEN}, AdamW (weight decay 0.01), linear
schedule, 10% warm-up, clip norm 1, onnx backend; lr: full fine-tuning and the hypernetworks 1e-3, heads only and per-task
adapters 5e-3 (at 5e-3 a first HyperFormer run, seed 1 with one epoch, ended predicting each task's majority class); seeds ${seeds.join(", ")}.
HyperFormer++ / HyperFormer with the defaults (reduction factor 32: bottleneck 4 at hidden 128; task embedding 64, projector
128 → 64). **Trainable per task**: every trainable parameter of the run(s), heads included, divided by the ${tasks.length} tasks
(a shared encoder or hypernetwork is counted once). Scores: accuracy (classification), Pearson (STS-B); macro is their mean.
${taskAdapters === undefined ? "\nPer-task adapters (`taskAdapters`) were not exported by `@tunekit/strategies` when this ran, so they are not in the table.\n" : ""}
${constant.length === 0 ? "" : `\nA Pearson correlation of NaN (a constant prediction for every dev pair) is counted as 0: ${constant.join("; ")}.\n`}
![E2 chart](${values.out}.svg)

${table.join("\n")}
`,
});
console.log(table.join("\n"));
console.error(`wall ${wall.toFixed(0)}s`);
