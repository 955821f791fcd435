// E1, two-stage fine-tuning: an intermediate task (SST-5 folded to 3 classes, or TweetEval
// sentiment) fully fine-tuned first, then the target (SST-2 with a few hundred training rows),
// against the target alone from the pre-trained model with the same rows and budget. Reports
// SST-2 dev accuracy (mean ± std over seeds) and how much of the intermediate task's dev
// accuracy the final encoder forgot (the final encoder with the stage-1 head, on stage-1 dev).
//
//   npx tsx --conditions=@tunekit/source scripts/e1-two-stage.ts [--seeds 1,2,3]
//     [--intermediate sst5[,tweeteval-sentiment]] [--stage2 full,lora] [--target-rows 500]
//     [--stage1-steps 267] [--steps 150] [--out e1-two-stage]
//
// Every run starts from examples/models/bert-4l-h128 on the onnx backend. A seed draws the
// target's training rows (from the first 20,000 SST-2 train rows) and seeds head init, shuffling
// and dropout of every stage; both arms of a seed train on the same rows. TweetEval has no
// train split here: its test split (12,284 tweets) trains stage 1, its validation split is dev.
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createStrategy } from "@tunekit/cli";
import { type HostTensor, loadTokenizer, type Module, type TrainerModel } from "@tunekit/core";
import { mergeAndUnload } from "@tunekit/strategies";
import {
  type Budget,
  commandLine,
  evaluateOnly,
  loadTask,
  MODEL_DIR,
  meanStd,
  OUT_DIR,
  parseSeeds,
  pm,
  ResultsFile,
  sampleRows,
  singleTaskModel,
  trainAndEvaluate,
  writePage,
} from "./experiments/common.js";
import { barChart } from "./experiments/svg.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    intermediate: { type: "string", default: "sst5" },
    stage2: { type: "string", default: "full,lora" },
    "target-rows": { type: "string", default: "500" },
    "stage1-steps": { type: "string", default: "267" },
    steps: { type: "string", default: "150" },
    out: { type: "string", default: "e1-two-stage" },
  },
});
const seeds = parseSeeds(values.seeds, [1, 2, 3]);
const intermediates = values.intermediate.split(",");
const stage2 = values.stage2.split(",");
const targetRows = Number(values["target-rows"]);
const MAX_LEN = 64;
/** Learning rates as scripts/compare-strategies.ts: full 1e-3, LoRA 5e-3. */
const LR: Record<string, number> = { full: 1e-3, lora: 5e-3 };
const stage1Budget = (seed: number): Budget => ({
  steps: Number(values["stage1-steps"]),
  batchSize: 32,
  maxLength: MAX_LEN,
  lr: 1e-3,
  seed,
});
const stage2Budget = (method: string, seed: number): Budget => ({
  steps: Number(values.steps),
  batchSize: 16,
  maxLength: MAX_LEN,
  lr: LR[method] ?? 5e-3,
  seed,
});

const started = performance.now();
const tokenizer = await loadTokenizer(MODEL_DIR);
const sst2 = await loadTask("sst2", tokenizer, MAX_LEN, { maxTrain: 20_000 });
const stage1Tasks = await Promise.all(
  intermediates.map((name) =>
    loadTask(name, tokenizer, MAX_LEN, name === "tweeteval-sentiment" ? { trainSplit: "test" } : {}),
  ),
);
const backend = await createOnnxBackend();
const results = await ResultsFile.create(values.out);

interface Row {
  readonly seed: number;
  readonly arm: string; // "target only" | "via <task>"
  readonly method: string;
  readonly accuracy: number;
  readonly stage1Before?: number;
  readonly stage1After?: number;
}
const rows: Row[] = [];
const log = (s: string): void =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${s}`);

/** Encoder (everything but the classifier) of a trained model; LoRA is merged in first. */
function encoderOf(model: Module, method: string): Map<string, HostTensor> {
  const plain = method === "full" ? model : mergeAndUnload(model);
  return new Map(
    plain
      .namedParameters()
      .filter(([n]) => !n.startsWith("classifier."))
      .map(([n, p]) => [n, p.value]),
  );
}

function assign(model: Module, weights: ReadonlyMap<string, HostTensor>): void {
  let n = 0;
  for (const [name, p] of model.namedParameters()) {
    const v = weights.get(name);
    if (v !== undefined) {
      p.value = v;
      n++;
    }
  }
  if (n === 0) throw new Error("no weights assigned: parameter names differ");
}

/** Trains stage 2 (SST-2) from `encoder` (or the pre-trained model) with `method`. */
async function target(seed: number, method: string, encoder?: ReadonlyMap<string, HostTensor>) {
  const base = await singleTaskModel(sst2, tokenizer, MAX_LEN, seed);
  if (encoder !== undefined) assign(base, encoder);
  const strategy = await createStrategy({ method, options: method === "lora" ? { r: 8 } : {} }, "e1");
  const model = strategy.apply(base) as Module & TrainerModel;
  const train = sampleRows(sst2.train!, targetRows, seed);
  const r = await trainAndEvaluate(model, backend, train, stage2Budget(method, seed), sst2.dev!);
  return { model, metrics: r.metrics, seconds: r.trainSeconds };
}

try {
  for (const seed of seeds) {
    for (const method of stage2) {
      const t = await target(seed, method);
      rows.push({ seed, arm: "target only", method, accuracy: t.metrics.accuracy! });
      await results.add({
        experiment: "e1",
        seed,
        config: { arm: "target only", stage2: method, targetRows, ...stage2Budget(method, seed) },
        metrics: t.metrics,
        trainSeconds: t.seconds,
      });
      log(`seed ${seed} target only (${method}): SST-2 dev acc ${t.metrics.accuracy!.toFixed(4)}`);
    }
    for (const inter of stage1Tasks) {
      // stage 1: full fine-tuning on the intermediate task
      const m1 = await singleTaskModel(inter, tokenizer, MAX_LEN, seed);
      const s1 = await trainAndEvaluate(m1, backend, inter.train!, stage1Budget(seed), inter.dev!);
      const before = s1.metrics.accuracy!;
      const head1 = new Map(
        m1
          .namedParameters()
          .filter(([n]) => n.startsWith("classifier."))
          .map(([n, p]) => [n, p.value]),
      );
      const encoder1 = encoderOf(m1, "full");
      log(
        `seed ${seed} stage 1 ${inter.name}: dev acc ${before.toFixed(4)} (${s1.trainSeconds.toFixed(0)}s)`,
      );
      for (const method of stage2) {
        const t = await target(seed, method, encoder1);
        // forgetting: the final encoder with the stage-1 head, on stage-1 dev
        const probe = await singleTaskModel(inter, tokenizer, MAX_LEN, seed);
        assign(probe, encoderOf(t.model, method));
        assign(probe, head1);
        const after = (await evaluateOnly(probe, backend, inter.dev!, MAX_LEN)).accuracy!;
        const arm = `via ${inter.name}`;
        rows.push({
          seed,
          arm,
          method,
          accuracy: t.metrics.accuracy!,
          stage1Before: before,
          stage1After: after,
        });
        await results.add({
          experiment: "e1",
          seed,
          config: {
            arm,
            stage1: {
              task: inter.name,
              method: "full",
              trainRows: inter.train!.lengths.length,
              ...stage1Budget(seed),
            },
            stage2: method,
            targetRows,
            ...stage2Budget(method, seed),
          },
          metrics: {
            ...t.metrics,
            stage1DevBefore: before,
            stage1DevAfter: after,
            stage1Metrics: s1.metrics,
          },
          trainSeconds: t.seconds + s1.trainSeconds,
        });
        log(
          `seed ${seed} via ${inter.name} (${method}): SST-2 dev acc ${t.metrics.accuracy!.toFixed(4)}; ${inter.name} dev ${before.toFixed(4)} -> ${after.toFixed(4)}`,
        );
      }
    }
  }
} finally {
  backend.dispose();
}

// ---- report ----
const arms = ["target only", ...stage1Tasks.map((t) => `via ${t.name}`)];
const of = (arm: string, method: string): Row[] => rows.filter((r) => r.arm === arm && r.method === method);
const majority = (() => {
  const labels = sst2.dev!.labels!;
  const pos = Array.from(labels).reduce((a, b) => a + b, 0);
  return Math.max(pos, labels.length - pos) / labels.length;
})();
const table = [
  "| stage 2 | arm | SST-2 dev accuracy | per seed | gain over target only | stage-1 dev acc after stage 1 | after stage 2 (stage-1 head) | forgotten (points) |",
  "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |",
];
for (const method of stage2) {
  const baseline = meanStd(of("target only", method).map((r) => r.accuracy)).mean;
  for (const arm of arms) {
    const rs = of(arm, method);
    if (rs.length === 0) continue;
    const acc = rs.map((r) => r.accuracy);
    const gain = meanStd(acc.map((a, i) => a - of("target only", method)[i]!.accuracy));
    const before = rs.map((r) => r.stage1Before ?? Number.NaN);
    const after = rs.map((r) => r.stage1After ?? Number.NaN);
    const forgot = before.map((b, i) => 100 * (b - after[i]!));
    table.push(
      `| ${method} | ${arm} | ${pm(acc)} | ${acc.map((a) => a.toFixed(3)).join(", ")} | ${arm === "target only" ? "–" : `${(100 * (meanStd(acc).mean - baseline)).toFixed(1)} ± ${(100 * gain.std).toFixed(1)} points`} | ${arm === "target only" ? "–" : pm(before)} | ${arm === "target only" ? "–" : pm(after)} | ${arm === "target only" ? "–" : `${meanStd(forgot).mean.toFixed(1)} ± ${meanStd(forgot).std.toFixed(1)}`} |`,
    );
  }
}
await barChart(`${OUT_DIR}/${values.out}.svg`, {
  title: `E1: SST-2 dev accuracy, ${targetRows} target rows (mean ± std, ${seeds.length} seeds)`,
  yLabel: "SST-2 dev accuracy",
  groups: stage2.map((m) => `stage 2: ${m}`),
  series: arms,
  values: stage2.map((m) => arms.map((a) => meanStd(of(a, m).map((r) => r.accuracy)))),
  yMin: 0.45,
  yMax: 0.85,
  reference: { value: majority, label: `majority class ${majority.toFixed(3)}` },
});
/** What the page says about each intermediate task's data. */
const DATA_NOTES = [
  {
    task: "sst5",
    text:
      "SST-2 and SST-5 come from the same treebank (SST-5's train sentences are from the treebank's train split, as SST-2's\n" +
      "train phrases; the dev sentences are the same split in both), so stage 1 never sees SST-2 dev text.",
  },
  {
    task: "tweeteval-sentiment",
    text:
      "TweetEval has no train split here: stage 1 trains on its test split and is scored on its validation split (both\n" +
      "texts, without labels, were part of the model's pre-training corpus).",
  },
];
const wall = (performance.now() - started) / 1000;
const s1 = stage1Budget(0);
const s2 = stage2Budget("full", 0);
await writePage(values.out, {
  title: "E1: two-stage fine-tuning (intermediate task, then SST-2 with few rows)",
  command: commandLine("scripts/e1-two-stage.ts"),
  wallSeconds: wall,
  body: `
**Setup.** Base: \`${MODEL_DIR}\` (4 layers, hidden 128, pre-trained by tunekit). Seeds ${seeds.join(", ")}: a seed
draws the ${targetRows} SST-2 training rows (from the first 20,000 train rows) and seeds head init, shuffling and
dropout; both arms of a seed train on the same rows. Stage 1 (${stage1Tasks.map((t) => `${t.name}: ${t.train!.lengths.length} train rows, ${t.dev!.lengths.length} dev rows`).join("; ")}):
full fine-tuning, ${s1.steps} steps of batch ${s1.batchSize}, lr ${s1.lr}. Stage 2 and the target-only arm: the same
${targetRows} rows, ${s2.steps} steps of batch ${s2.batchSize} (${((s2.steps * s2.batchSize) / targetRows).toFixed(1)} epochs), lr ${stage2.map((m) => `${m} ${LR[m] ?? 5e-3}`).join(", ")}
(LoRA r 8 on query/value, as \`scripts/compare-strategies.ts\`). All: AdamW (weight decay 0.01), linear schedule,
10% warm-up, clip norm 1, max length ${MAX_LEN}, onnx backend. Score: accuracy on the ${sst2.dev!.lengths.length} SST-2 dev sentences
(majority class ${majority.toFixed(3)}). **Forgetting**: the final model's encoder (LoRA merged in) with the stage-1
classifier, scored on stage-1 dev, against the stage-1 model's own score; "forgotten" is the drop in accuracy points.
${DATA_NOTES.filter((n) => intermediates.includes(n.task))
  .map((n) => n.text)
  .join("\n")}

![E1 chart](${values.out}.svg)

${table.join("\n")}

Gain: mean over seeds of (two-stage − target only) on the same seed, ± its std.
`,
});
console.log(table.join("\n"));
console.error(`wall ${wall.toFixed(0)}s`);
