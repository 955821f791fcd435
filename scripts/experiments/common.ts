// Shared helpers of the seeded experiments (scripts/e*.ts): data loading and seeded row
// subsets, the pre-trained example model (single- and multi-task), one Trainer run with a
// fixed budget, mean ± std, and the result files (JSON lines + Markdown page) they write.
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { buildModel, prepareData } from "@tunekit/cli";
import {
  adamw,
  type Backend,
  type Module,
  type Tokenizer,
  Trainer,
  type TrainerData,
  type TrainerModel,
} from "@tunekit/core";
import {
  bertConfigToJson,
  loadBertWeights,
  MultiTaskModel,
  parseBertConfig,
  readBertConfig,
  type TaskHeadSpec,
} from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { isTaskMixture, type TaskMixture } from "@tunekit/core/trainer";
import { readModelWeights } from "@tunekit/core/io";

/** The pre-trained example model every experiment starts from (tokenizer in the same folder). */
export const MODEL_DIR = "examples/models/bert-4l-h128";
/** Where the pages, charts and raw results go. */
export const OUT_DIR = "docs/experiments";

/** A task's data: labels (empty for regression), tokenised train / dev rows. */
export interface TaskData {
  readonly name: string;
  readonly task: "sequence-classification" | "regression";
  readonly labels: readonly string[];
  readonly train: TrainerData | undefined;
  readonly dev: TrainerData | undefined;
}

/**
 * Loads `examples/data/<name>.json` (relative paths resolve against the repository root, so
 * `../shared/data`), tokenised at `maxLength`. `trainSplit` picks the split used for training
 * (TweetEval has no train split: its test split stands in).
 */
export async function loadTask(
  name: string,
  tokenizer: Tokenizer,
  maxLength: number,
  o: { readonly maxTrain?: number; readonly maxDev?: number; readonly trainSplit?: "train" | "test" } = {},
): Promise<TaskData> {
  const trainSplit = o.trainSplit ?? "train";
  const prepared = await prepareData(
    {
      configPath: resolve("examples/data", `${name}.json`),
      baseDir: process.cwd(),
      maxRows: {
        [trainSplit]: o.maxTrain,
        ...(o.maxDev === undefined ? {} : { validation: o.maxDev }),
      },
      evalSplit: "validation",
    },
    undefined,
    tokenizer,
    maxLength,
    [trainSplit, "validation"],
  );
  const task = prepared.task === "regression" ? "regression" : "sequence-classification";
  return {
    name,
    task,
    labels: prepared.labelNames,
    train: prepared.splits[trainSplit]?.data,
    dev: prepared.splits.validation?.data,
  };
}

/** `n` distinct row indices of `total`, drawn with `seed` (a seeded Fisher-Yates prefix). */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  // core's mulberry32 on the mixed seed (the stream these experiments were run with)
  const next = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const all = Array.from({ length: total }, (_, i) => i);
  const k = Math.min(n, total);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(next() * (total - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

/** The rows `idx` of a tokenised data set. */
export function pickRows(d: TrainerData, idx: readonly number[]): TrainerData {
  const labels = d.labels;
  return {
    ...d,
    ids: idx.map((i) => d.ids[i]!),
    tokenTypeIds: idx.map((i) => d.tokenTypeIds[i]!),
    lengths: Int32Array.from(idx, (i) => d.lengths[i]!),
    labels:
      labels === undefined
        ? undefined
        : labels instanceof Float32Array
          ? Float32Array.from(idx, (i) => labels[i]!)
          : Int32Array.from(idx, (i) => labels[i]!),
  };
}

/** A `seed`-drawn subset of `n` rows. */
export function sampleRows(d: TrainerData, n: number, seed: number): TrainerData {
  return pickRows(d, sampleIndices(d.lengths.length, n, seed));
}

/** The example model with a fresh head for `labels` (regression: one output). */
export async function singleTaskModel(
  t: Pick<TaskData, "task" | "labels">,
  tokenizer: Tokenizer,
  maxLength: number,
  seed: number,
): Promise<Module & TrainerModel> {
  const built = await buildModel(
    { kind: "pretrained", path: MODEL_DIR },
    {
      task: t.task,
      labels: t.labels,
      vocabSize: tokenizer.vocabSize,
      padId: tokenizer.padId,
      maxLength,
      seed,
    },
  );
  return built.model as Module & TrainerModel;
}

/** A {@link MultiTaskModel} with the example model's encoder and a fresh head per task. */
export async function multiTaskModel(tasks: readonly TaskData[], seed: number): Promise<MultiTaskModel> {
  const base = await readBertConfig(MODEL_DIR);
  const json: Record<string, unknown> = { ...bertConfigToJson(base) };
  for (const k of ["id2label", "label2id", "num_labels", "problem_type", "architectures", "task_heads"])
    delete json[k];
  const heads: TaskHeadSpec[] = tasks.map((t) =>
    t.task === "regression"
      ? { name: t.name, kind: "regression" }
      : { name: t.name, kind: "classification", labels: t.labels },
  );
  const model = new MultiTaskModel(parseBertConfig(json, MODEL_DIR), heads, { seed });
  const { tensors } = await readModelWeights(MODEL_DIR);
  loadBertWeights(model, tensors, { reinitializeHead: true });
  return model;
}

/** One run's budget: AdamW (weight decay 0.01), linear schedule, 10% warm-up, clip norm 1. */
export interface Budget {
  readonly steps: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly lr: number;
  readonly seed: number;
}

/** Padding lengths 16, 32, ..., maxLength (as `tunekit train`). */
function paddingBuckets(maxLength: number): number[] {
  const buckets: number[] = [];
  for (let b = 16; b < maxLength; b *= 2) buckets.push(b);
  buckets.push(maxLength);
  return buckets;
}

/** A Trainer with the experiments' fixed settings. */
export function makeTrainer(model: TrainerModel, backend: Backend, b: Budget, mixture = false): Trainer {
  return new Trainer({
    model,
    backend,
    batchSize: b.batchSize,
    evalBatchSize: 64,
    optimizer: adamw({ weightDecay: 0.01, decayFilter: "hf" }),
    maxSteps: b.steps,
    epochs: 1_000_000,
    lr: b.lr,
    schedule: "linear",
    warmupRatio: 0.1,
    clipNorm: 1,
    seed: b.seed,
    padding: { buckets: paddingBuckets(b.maxLength) },
    // length bucketing plans single-task epochs; a mixture's batches are sampled (no bucketing)
    bucketing: mixture ? false : { windowBatches: 50 },
  });
}

/**
 * Trains `model` on `train` for the budget, then evaluates on `evalOn` (the mixture's own
 * eval rows when `train` is a mixture and `evalOn` is omitted). Returns the metrics and the
 * training seconds.
 */
export async function trainAndEvaluate(
  model: TrainerModel,
  backend: Backend,
  train: TrainerData | TaskMixture,
  b: Budget,
  evalOn?: TrainerData | TaskMixture,
): Promise<{ metrics: Record<string, number>; trainSeconds: number; trainLoss: number }> {
  const trainer = makeTrainer(model, backend, b, isTaskMixture(train));
  try {
    const t0 = performance.now();
    const fit = await trainer.fit(train);
    const trainSeconds = (performance.now() - t0) / 1000;
    const target = evalOn ?? train;
    const ev = await trainer.evaluate(target);
    return { metrics: { ...ev.metrics, loss: ev.loss }, trainSeconds, trainLoss: fit.trainLoss };
  } finally {
    await trainer.dispose();
  }
}

/** Evaluates `model` without training it. */
export async function evaluateOnly(
  model: TrainerModel,
  backend: Backend,
  data: TrainerData,
  maxLength: number,
): Promise<Record<string, number>> {
  const trainer = makeTrainer(model, backend, { steps: 1, batchSize: 32, maxLength, lr: 1e-3, seed: 0 });
  try {
    const ev = await trainer.evaluate(data);
    return { ...ev.metrics, loss: ev.loss };
  } finally {
    await trainer.dispose();
  }
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length < 2 ? 0 : xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/** `0.812 ± 0.013` */
export function pm(xs: readonly number[], digits = 3): string {
  const { mean, std } = meanStd(xs);
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

/** The seeds of a `--seeds 1,2,3` flag. */
export function parseSeeds(flag: string | undefined, fallback: readonly number[]): number[] {
  if (flag === undefined) return [...fallback];
  const seeds = flag.split(",").map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))
    throw new Error(`--seeds ${flag}: expected integers`);
  return seeds;
}

/** Appends one run (seed, config, metrics) to a JSON-lines results file. */
export class ResultsFile {
  private constructor(readonly path: string) {}

  static async create(name: string): Promise<ResultsFile> {
    await mkdir(OUT_DIR, { recursive: true });
    const path = join(OUT_DIR, `${name}.jsonl`);
    await writeFile(path, "");
    return new ResultsFile(path);
  }

  async add(record: Record<string, unknown>): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(record)}\n`);
  }
}

/** "2 CPU cores (Intel ...), Node v22, onnxruntime-node (CPU)" */
export function machineLine(): string {
  const c = cpus();
  return `${c.length} CPU cores (${c[0]?.model.trim() ?? "unknown"}, shared with other jobs), Node ${process.version}, onnx backend (onnxruntime-node, CPU)`;
}

/** `12m 34s` */
export function minutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${m}m ${Math.round(seconds - 60 * m)}s`;
}

/** The command line that ran this script, repository-relative. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2).map((a) => (/^[\w,./=-]+$/.test(a) ? a : `'${a}'`));
  return ["npx tsx --conditions=@tunekit/source", script, ...args].join(" ");
}

/** Writes a Markdown page with the standard header (command, machine, wall time). */
export async function writePage(
  name: string,
  o: {
    readonly title: string;
    readonly command: string;
    readonly wallSeconds: number;
    readonly body: string;
  },
): Promise<void> {
  const text = [
    `# ${o.title}`,
    "",
    `Made by \`${o.command}\` on ${machineLine()}; wall time ${minutes(o.wallSeconds)}. Raw results (one JSON line per run: seed, config, metrics): [${name}.jsonl](${name}.jsonl).`,
    "",
    o.body.trim(),
    "",
  ].join("\n");
  await writeFile(join(OUT_DIR, `${name}.md`), text);
}
