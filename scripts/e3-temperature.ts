// E3, task sampling temperature on a mixture with one very small task: by default SST-2
// (8,000 rows), SUBJ (8,000) and CR (customer-review polarity) cut to 250 rows, one
// MultiTaskModel (a head per task) fully fine-tuned with temperature sampling p_i ∝ n_i^(1/T),
// T ∈ {1, 2, 5, 10} and T = ∞ (strategy "uniform"), same steps for every T. Reports the small
// task's dev score, every task's and the macro score.
//
//   npx tsx --conditions=@tunekit/source scripts/e3-temperature.ts [--seeds 1,2,3]
//     [--temperatures 1,2,5,10,inf] [--large sst2:8000,subj:8000] [--small cr] [--small-rows 250]
//     [--steps 200] [--lr 1e-3] [--out e3-temperature]
//
// (--large sst2:8000,stsb --small rte --lr 5e-4 is the GLUE variant: on this model and budget
// STS-B and RTE stayed at chance, see the page.) A seed draws the small task's rows (from its
// train split) and seeds heads, sampling, shuffling and dropout; the large tasks use their
// first rows.
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { loadTokenizer } from "@tunekit/core";
import { type TaskSamplingOptions, taskSamplingProbabilities } from "@tunekit/core/data";
import type { TaskMixture } from "@tunekit/core/trainer";
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
    large: { type: "string", default: "sst2:8000,subj:8000" },
    small: { type: "string", default: "cr" },
    "small-rows": { type: "string", default: "250" },
    steps: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "32" },
    lr: { type: "string", default: "1e-3" },
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
const large: TaskData[] = [];
for (const spec of values.large.split(",")) {
  const [name, rows] = spec.split(":");
  large.push(await loadTask(name!, tokenizer, MAX_LEN, rows === undefined ? {} : { maxTrain: Number(rows) }));
}
const small = await loadTask(values.small, tokenizer, MAX_LEN);
const all = [...large, small];
const S = all.length - 1; // the small task's index
const metricOf = (t: TaskData): string => (t.task === "regression" ? "pearson" : "accuracy");
const backend = await createOnnxBackend();
const results = await ResultsFile.create(values.out);

interface Row {
  readonly seed: number;
  readonly t: number;
  readonly metrics: Record<string, number>;
}
const rows: Row[] = [];
const names = all.map((t) => t.name);
const sizes = all.map((t) =>
  t === small ? Math.min(smallRows, t.train!.lengths.length) : t.train!.lengths.length,
);

try {
  for (const seed of seeds) {
    const smallTrain = sampleRows(small.train!, smallRows, seed);
    for (const t of temps) {
      const tasks = all;
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
const score = (r: Row, i: number): number => r.metrics[`${names[i]}/${metricOf(all[i]!)}`]!;
const head = [
  `| T | p(${names.join(") / p(")}) | ${small.name} rows seen (epochs) | ${names.map((n, i) => `${n} ${metricOf(all[i]!)}`).join(" | ")} | macro |`,
  `| --- | --- | ---: | ${names.map(() => "---:").join(" | ")} | ---: |`,
];
const b0 = budget(0);
for (const t of temps) {
  const rs = rows.filter((r) => r.t === t);
  const p = taskSamplingProbabilities(sizes, sampling(t));
  const seen = p[S]! * b0.steps * b0.batchSize;
  head.push(
    `| ${tLabel(t)} | ${p.map((x) => x.toFixed(3)).join(" / ")} | ${Math.round(seen)} (${(seen / sizes[S]!).toFixed(1)}) | ${names.map((_, i) => pm(rs.map((r) => score(r, i)))).join(" | ")} | ${pm(rs.map((r) => r.metrics.macro!))} |`,
  );
}
await barChart(`${OUT_DIR}/${values.out}.svg`, {
  title: `E3: sampling temperature (mean ± std, ${seeds.length} seeds)`,
  yLabel: "dev score",
  groups: temps.map(tLabel),
  series: [...names.map((n, i) => `${n} ${metricOf(all[i]!)}`), "macro"],
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
/** Why the default mixture is not the GLUE one (measured before this script's defaults were set). */
const GLUE_NOTE = `

Why not the GLUE mixture (SST-2 8,000 + STS-B 5,749 + RTE 250)? Its first run (\`--large sst2:8000,stsb --small rte
--lr 5e-4\`, seed 1, T = 1, 200 steps of batch 32) ended at SST-2 accuracy 0.522, STS-B Pearson 0.024 and RTE accuracy
0.527 (RTE's dev majority class): at this budget this small model learns neither STS-B nor RTE, so every T would
score chance on the small task. The default mixture keeps one
large task (SST-2), adds a second single-sentence task of another kind (SUBJ, subjectivity) and makes the small task
one the model can learn from 250 rows (CR, customer-review polarity).`;
await writePage(values.out, {
  title: "E3: task sampling temperature with one very small task",
  command: commandLine("scripts/e3-temperature.ts"),
  wallSeconds: wall,
  body: `
**Setup.** One \`MultiTaskModel\` (the encoder of \`${MODEL_DIR}\`, a fresh head per task), full fine-tuning
(MT-DNN style) through \`Trainer.fit(mixture)\`: ${names.map((n, i) => `${n} ${sizes[i]} train rows (dev ${all[i]!.dev!.lengths.length})`).join(", ")};
the ${small.name} rows are drawn per seed from its ${small.train!.lengths.length} train rows, the large tasks use their first rows.
Sampling \`{ strategy: "temperature", temperature: T }\` (p_i ∝ n_i^(1/T)) or \`{ strategy: "uniform" }\` for T = ∞, mixed
batches (each row drawn from a task by p). Every run: ${b0.steps} steps of batch ${b0.batchSize} (${b0.steps * b0.batchSize} rows drawn,
${((b0.steps * b0.batchSize) / sizes.reduce((a, b) => a + b, 0)).toFixed(2)} of a mixture epoch), lr ${b0.lr}, AdamW (weight decay 0.01), linear
schedule, 10% warm-up, clip norm 1, max length ${MAX_LEN} (pairs truncated longest-first), onnx backend. Seeds ${seeds.join(", ")}.
Scores on each task's full dev set (accuracy; Pearson for regression); macro is their mean; ${small.name} dev majority
class ${smallMajority.toFixed(3)}. "${small.name} rows seen": p × rows drawn, expected.${values.small === "rte" ? "" : GLUE_NOTE}

![E3 chart](${values.out}.svg)

${head.join("\n")}
`,
});
console.log(head.join("\n"));
console.error(`wall ${wall.toFixed(0)}s`);
