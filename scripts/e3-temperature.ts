// E3, task sampling temperature on a mixture with one very small task: SST-2 (8,000 rows),
// STS-B (5,749) and RTE cut to 250 rows, one MultiTaskModel (a head per task) fully fine-tuned
// with temperature sampling p_i ∝ n_i^(1/T), T ∈ {1, 2, 5, 10} and T = ∞ (strategy "uniform"),
// same steps for every T. Reports the small task's dev score, every task's and the macro score.
//
//   npx tsx --conditions=@tunekit/source scripts/e3-temperature.ts [--seeds 1,2,3]
//     [--temperatures 1,2,5,10,inf] [--small rte] [--small-rows 250] [--steps 200] [--out e3-temperature]
//
// A seed draws the small task's rows (from its train split) and seeds heads, sampling, shuffling
// and dropout; the other tasks use their first rows (SST-2: the first 8,000 train rows).
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  loadTokenizer,
  type TaskMixture,
  type TaskSamplingOptions,
  taskSamplingProbabilities,
} from "@tunekit/core";
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
  type TaskData,
  trainAndEvaluate,
  writePage,
} from "./experiments/common.js";
import { barChart } from "./experiments/svg.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    temperatures: { type: "string", default: "1,2,5,10,inf" },
    small: { type: "string", default: "rte" },
    "small-rows": { type: "string", default: "250" },
    steps: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "32" },
    lr: { type: "string", default: "5e-4" },
    out: { type: "string", default: "e3-temperature" },
  },
});
const seeds = parseSeeds(values.seeds, [1, 2, 3]);
const temps = values.temperatures.split(",").map((t) => (t === "inf" ? Number.POSITIVE_INFINITY : Number(t)));
const smallRows = Number(values["small-rows"]);
const MAX_LEN = 64;
const budget = (seed: number): Budget => ({
  steps: Number(values.steps),
  batchSize: Number(values["batch-size"]),
  maxLength: MAX_LEN,
  lr: Number(values.lr),
  seed,
});
const sampling = (t: number): TaskSamplingOptions =>
  Number.isFinite(t) ? { strategy: "temperature", temperature: t } : { strategy: "uniform" };
const tLabel = (t: number): string => (Number.isFinite(t) ? `T = ${t}` : "T = ∞ (uniform)");

const started = performance.now();
const log = (s: string): void =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${s}`);
const tokenizer = await loadTokenizer(MODEL_DIR);
const sst2 = await loadTask("sst2", tokenizer, MAX_LEN, { maxTrain: 8000 });
const stsb = await loadTask("stsb", tokenizer, MAX_LEN);
const small = await loadTask(values.small, tokenizer, MAX_LEN);
const metricOf = (t: TaskData): string => (t.task === "regression" ? "pearson" : "accuracy");
const backend = await createOnnxBackend();
const results = await ResultsFile.create(values.out);

interface Row {
  readonly seed: number;
  readonly t: number;
  readonly metrics: Record<string, number>;
}
const rows: Row[] = [];
const names = [sst2.name, stsb.name, small.name];
const sizes = [
  sst2.train!.lengths.length,
  stsb.train!.lengths.length,
  Math.min(smallRows, small.train!.lengths.length),
];

try {
  for (const seed of seeds) {
    const smallTrain = sampleRows(small.train!, smallRows, seed);
    for (const t of temps) {
      const tasks = [sst2, stsb, small];
      const mixture: TaskMixture = {
        tasks: tasks.map((task) => ({
          name: task.name,
          train: task === small ? smallTrain : task.train!,
          eval: task.dev!,
          metric: metricOf(task),
        })),
        sampling: sampling(t),
        batching: "mixed",
      };
      const model = await multiTaskModel(tasks, seed);
      const r = await trainAndEvaluate(model, backend, mixture, budget(seed));
      rows.push({ seed, t, metrics: r.metrics });
      await results.add({
        experiment: "e3",
        seed,
        config: {
          temperature: Number.isFinite(t) ? t : "inf",
          sampling: sampling(t),
          batching: "mixed",
          tasks: names.map((n, i) => ({ name: n, trainRows: sizes[i] })),
          probabilities: taskSamplingProbabilities(sizes, sampling(t)),
          ...budget(seed),
        },
        metrics: r.metrics,
        trainSeconds: r.trainSeconds,
      });
      log(
        `seed ${seed} ${tLabel(t)}: ${names.map((n, i) => `${n} ${r.metrics[`${n}/${metricOf(tasks[i]!)}`]?.toFixed(4)}`).join(", ")}, macro ${r.metrics.macro?.toFixed(4)} (${r.trainSeconds.toFixed(0)}s)`,
      );
    }
  }
} finally {
  backend.dispose();
}

// ---- report ----
const score = (r: Row, i: number): number => r.metrics[`${names[i]}/${metricOf([sst2, stsb, small][i]!)}`]!;
const head = [
  `| T | p(${names.join(") / p(")}) | ${small.name} rows seen (epochs) | ${names.map((n, i) => `${n} ${metricOf([sst2, stsb, small][i]!)}`).join(" | ")} | macro |`,
  `| --- | --- | ---: | ${names.map(() => "---:").join(" | ")} | ---: |`,
];
const b0 = budget(0);
for (const t of temps) {
  const rs = rows.filter((r) => r.t === t);
  const p = taskSamplingProbabilities(sizes, sampling(t));
  const seen = p[2]! * b0.steps * b0.batchSize;
  head.push(
    `| ${tLabel(t)} | ${p.map((x) => x.toFixed(3)).join(" / ")} | ${Math.round(seen)} (${(seen / sizes[2]!).toFixed(1)}) | ${names.map((_, i) => pm(rs.map((r) => score(r, i)))).join(" | ")} | ${pm(rs.map((r) => r.metrics.macro!))} |`,
  );
}
await barChart(`${OUT_DIR}/${values.out}.svg`, {
  title: `E3: sampling temperature (mean ± std, ${seeds.length} seeds)`,
  yLabel: "dev score",
  groups: temps.map(tLabel),
  series: [...names.map((n, i) => `${n} ${metricOf([sst2, stsb, small][i]!)}`), "macro"],
  values: temps.map((t) => {
    const rs = rows.filter((r) => r.t === t);
    return [
      ...names.map((_, i) => meanStd(rs.map((r) => score(r, i)))),
      meanStd(rs.map((r) => r.metrics.macro!)),
    ];
  }),
  yMin: 0,
  yMax: 1,
});
const wall = (performance.now() - started) / 1000;
const smallMajority = (() => {
  const l = Array.from(small.dev!.labels ?? []);
  const counts = new Map<number, number>();
  for (const v of l) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values()) / l.length;
})();
await writePage(values.out, {
  title: "E3: task sampling temperature with one very small task",
  command: commandLine("scripts/e3-temperature.ts"),
  wallSeconds: wall,
  body: `
**Setup.** One \`MultiTaskModel\` (the encoder of \`${MODEL_DIR}\`, a fresh head per task), full fine-tuning
(MT-DNN style) through \`Trainer.fit(mixture)\`: ${names.map((n, i) => `${n} ${sizes[i]} train rows (dev ${[sst2, stsb, small][i]!.dev!.lengths.length})`).join(", ")};
the ${small.name} rows are drawn per seed from its ${small.train!.lengths.length} train rows, SST-2 uses its first 8,000 train rows.
Sampling \`{ strategy: "temperature", temperature: T }\` (p_i ∝ n_i^(1/T)) or \`{ strategy: "uniform" }\` for T = ∞, mixed
batches (each row drawn from a task by p). Every run: ${b0.steps} steps of batch ${b0.batchSize} (${b0.steps * b0.batchSize} rows drawn,
${((b0.steps * b0.batchSize) / sizes.reduce((a, b) => a + b, 0)).toFixed(2)} of a mixture epoch), lr ${b0.lr}, AdamW (weight decay 0.01), linear
schedule, 10% warm-up, clip norm 1, max length ${MAX_LEN} (pairs truncated longest-first), onnx backend. Seeds ${seeds.join(", ")}.
Scores on each task's full dev set: accuracy (SST-2, ${small.name}; ${small.name} dev majority class ${smallMajority.toFixed(3)}) and
Pearson (STS-B); macro is their mean. "${small.name} rows seen": p × rows drawn, expected.

![E3 chart](${values.out}.svg)

${head.join("\n")}
`,
});
console.log(head.join("\n"));
console.error(`wall ${wall.toFixed(0)}s`);
