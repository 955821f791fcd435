// E4, "fewer than 500 labelled examples and little compute": every strategy (full, head-only,
// LoRA, Houlsby and Pfeiffer adapters, prefix tuning, prompt tuning, IA3, BitFit) trained on
// n = 100 and n = 500 rows of a 3-class sentiment task (SST-5 folded to negative / neutral /
// positive, examples/data/sst5.json), the same small budget for every run.
//
//   npx tsx --conditions=@tunekit/source scripts/e4-few-labels.ts [--seeds 1,2,3] [--sizes 100,500]
//     [--methods full,lora,...] [--steps 100] [--data sst5] [--out e4-few-labels]
//
// A seed draws the n training rows (the 100 rows are the first 100 of the 500, so the sizes nest)
// and seeds head init, shuffling and dropout; every method of a seed and size sees the same rows.
// Learning rates follow scripts/compare-strategies.ts (full 1e-3; new or selected parameters
// 5e-3; IA3 and prompt tuning 1e-2).
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createStrategy, type StrategySpec } from "@tunekit/cli";
import { loadTokenizer, type Module, parameterReport, type TrainerModel } from "@tunekit/core";
import {
  type Budget,
  commandLine,
  loadTask,
  MODEL_DIR,
  meanStd,
  OUT_DIR,
  parseSeeds,
  pickRows,
  pm,
  ResultsFile,
  sampleIndices,
  singleTaskModel,
  trainAndEvaluate,
  writePage,
} from "./experiments/common.js";
import { barChart } from "./experiments/svg.js";

interface MethodCase {
  readonly label: string;
  readonly spec: StrategySpec;
  readonly lr: number;
}

const METHODS: readonly MethodCase[] = [
  { label: "full", spec: { method: "full", options: {} }, lr: 1e-3 },
  { label: "head-only", spec: { method: "head-only", options: {} }, lr: 5e-3 },
  { label: "lora", spec: { method: "lora", options: { r: 8 } }, lr: 5e-3 },
  { label: "houlsby", spec: { method: "houlsby", options: {} }, lr: 5e-3 },
  { label: "pfeiffer", spec: { method: "pfeiffer", options: {} }, lr: 5e-3 },
  { label: "prefix", spec: { method: "prefix", options: { numVirtualTokens: 8 } }, lr: 5e-3 },
  {
    label: "prompt",
    spec: {
      method: "prompt",
      options: { numVirtualTokens: 8, init: { text: "the sentiment of this review is" } },
    },
    lr: 1e-2,
  },
  { label: "ia3", spec: { method: "ia3", options: {} }, lr: 1e-2 },
  { label: "bitfit", spec: { method: "bitfit", options: {} }, lr: 5e-3 },
];

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    sizes: { type: "string", default: "100,500" },
    methods: { type: "string" },
    steps: { type: "string", default: "100" },
    "batch-size": { type: "string", default: "16" },
    data: { type: "string", default: "sst5" },
    out: { type: "string", default: "e4-few-labels" },
  },
});
const seeds = parseSeeds(values.seeds, [1, 2, 3]);
const sizes = values.sizes.split(",").map(Number);
const wanted = values.methods?.split(",");
const methods = wanted === undefined ? METHODS : METHODS.filter((m) => wanted.includes(m.label));
const MAX_LEN = 64;
const budget = (m: MethodCase, seed: number): Budget => ({
  steps: Number(values.steps),
  batchSize: Number(values["batch-size"]),
  maxLength: MAX_LEN,
  lr: m.lr,
  seed,
});

const started = performance.now();
const log = (s: string): void =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${s}`);
const tokenizer = await loadTokenizer(MODEL_DIR);
// TweetEval has no train split here: its test split trains, its validation split is dev
const task = await loadTask(
  values.data,
  tokenizer,
  MAX_LEN,
  values.data === "tweeteval-sentiment" ? { trainSplit: "test" } : {},
);
const backend = await createOnnxBackend();
const results = await ResultsFile.create(values.out);

interface Row {
  readonly seed: number;
  readonly n: number;
  readonly method: string;
  readonly accuracy: number;
  readonly macroF1: number;
  readonly trainable: number;
  readonly seconds: number;
}
const rows: Row[] = [];
let totalParams = 0;

try {
  for (const seed of seeds) {
    const order = sampleIndices(task.train!.lengths.length, Math.max(...sizes), seed);
    for (const n of sizes) {
      const train = pickRows(task.train!, order.slice(0, n));
      for (const m of methods) {
        const base = await singleTaskModel(task, tokenizer, MAX_LEN, seed);
        totalParams = parameterReport(base).total;
        const strategy = await createStrategy(m.spec, "e4", { tokenizer });
        const model = strategy.apply(base) as Module & TrainerModel;
        const trainable = parameterReport(model).trainable;
        const r = await trainAndEvaluate(model, backend, train, budget(m, seed), task.dev!);
        const row = {
          seed,
          n,
          method: m.label,
          accuracy: r.metrics.accuracy!,
          macroF1: r.metrics.macro_f1!,
          trainable,
          seconds: r.trainSeconds,
        };
        rows.push(row);
        await results.add({
          experiment: "e4",
          seed,
          config: { data: task.name, n, method: m.label, strategy: m.spec, trainable, ...budget(m, seed) },
          metrics: r.metrics,
          trainSeconds: r.trainSeconds,
        });
        log(
          `seed ${seed} n ${n} ${m.label}: acc ${row.accuracy.toFixed(4)} macro F1 ${row.macroF1.toFixed(4)} (${row.seconds.toFixed(0)}s)`,
        );
      }
    }
  }
} finally {
  backend.dispose();
}

// ---- report ----
const of = (n: number, method: string): Row[] => rows.filter((r) => r.n === n && r.method === method);
const majority = (() => {
  const counts = new Map<number, number>();
  for (const v of Array.from(task.dev!.labels ?? [])) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values()) / task.dev!.lengths.length;
})();
const table = [
  `| method | lr | trainable | ${sizes.map((n) => `n = ${n}: accuracy | n = ${n}: macro F1`).join(" | ")} | train s / run |`,
  `| --- | ---: | ---: | ${sizes.map(() => "---: | ---:").join(" | ")} | ---: |`,
];
for (const m of methods) {
  const all = rows.filter((r) => r.method === m.label);
  if (all.length === 0) continue;
  table.push(
    `| ${m.label} | ${m.lr} | ${all[0]!.trainable.toLocaleString("en-US")} (${((100 * all[0]!.trainable) / totalParams).toFixed(2)}%) | ${sizes
      .map(
        (n) => `${pm(of(n, m.label).map((r) => r.accuracy))} | ${pm(of(n, m.label).map((r) => r.macroF1))}`,
      )
      .join(" | ")} | ${meanStd(all.map((r) => r.seconds)).mean.toFixed(0)} |`,
  );
}
const ranking = sizes.map((n) => {
  const sorted = methods
    .map((m) => ({ label: m.label, acc: meanStd(of(n, m.label).map((r) => r.accuracy)).mean }))
    .sort((a, b) => b.acc - a.acc);
  return `n = ${n}: ${sorted.map((s) => `${s.label} ${s.acc.toFixed(3)}`).join(" > ")}`;
});
await barChart(`${OUT_DIR}/${values.out}.svg`, {
  title: `E4: ${task.name} (3 classes) dev accuracy, mean ± std over ${seeds.length} seeds`,
  yLabel: "dev accuracy",
  groups: methods.map((m) => m.label),
  series: sizes.map((n) => `n = ${n} training rows`),
  values: methods.map((m) => sizes.map((n) => meanStd(of(n, m.label).map((r) => r.accuracy)))),
  yMin: 0.2,
  yMax: 0.7,
  reference: { value: majority, label: `majority class ${majority.toFixed(3)}` },
});
const wall = (performance.now() - started) / 1000;
const b = budget(METHODS[0]!, 0);
await writePage(values.out, {
  title: "E4: fewer than 500 labelled examples and little compute",
  command: commandLine("scripts/e4-few-labels.ts"),
  wallSeconds: wall,
  body: `
**Setup.** Base: \`${MODEL_DIR}\` (4 layers, hidden 128, ${totalParams.toLocaleString("en-US")} parameters with a 3-label head,
pre-trained by tunekit). Task: ${task.name === "sst5" ? "SST-5 folded to 3 classes (0-1 negative, 2 neutral, 3-4 positive; `examples/data/sst5.json`)" : task.name},
n training rows drawn per seed from its ${task.train!.lengths.length} train rows (the 100 are the first 100 of the 500), scored on all
${task.dev!.lengths.length} dev sentences (majority class ${majority.toFixed(3)}). Every run: ${b.steps} steps of batch ${b.batchSize}
(${sizes.map((n) => `${((b.steps * b.batchSize) / n).toFixed(1)} epochs at n = ${n}`).join(", ")}), AdamW (weight decay 0.01),
linear schedule, 10% warm-up, clip norm 1, max length ${MAX_LEN}, onnx backend; seeds ${seeds.join(", ")}. Methods as
\`scripts/compare-strategies.ts\`: LoRA r 8 on query/value; Houlsby / Pfeiffer bottleneck adapters with their defaults;
prefix tuning with 8 virtual tokens; prompt tuning with 8 virtual tokens started from the words "the sentiment of this
review is"; IA3 and BitFit with their defaults. Trainable counts include the 3-label head.

![E4 chart](${values.out}.svg)

${table.join("\n")}

Ranking by mean accuracy: ${ranking.join("; ")}.
`,
});
console.log(table.join("\n"));
console.log(ranking.join("\n"));
console.error(`wall ${wall.toFixed(0)}s`);
