// Trains the SST-2 example (examples/sst2-bert-4l.json: its data, tokenizer and small pre-trained BERT)
// with every adaptation method on the same budget per backend and prints a markdown table:
// trainable %, adapter size on disk, training-loss curve (mean over the first / last 20% of
// steps) against the head-only baseline, dev accuracy, wall time.
//
//   npx tsx --conditions=@tunekit/source scripts/compare-strategies.ts [--backend onnx|tfjs] [--steps N]
//     [--methods lora,ia3,...] [--lr-scale F] [--base-steps N] [--config FILE] [--out FILE.md]
//     [--custom '{"method":"prefix","numVirtualTokens":32}' --custom-lr 0.02]
//
// --custom adds one more method (a train-config strategy block) after the table's, at
// --custom-lr (default 5e-3); with --methods none only head-only and it run.
//
// --config picks the train config whose model, tokenizer and data are used (default
// examples/sst2-bert-4l.json, whose model is examples/models/bert-4l-h128, pre-trained by tunekit;
// examples/sst2-tiny.json is the same task on a random BERT).
//
// --lr-scale multiplies every method's learning rate (for lr checks). --base-steps N first
// fine-tunes the whole model for N steps on other SST-2 rows (the N·batch rows before the ones
// the methods train on), discards its classifier and uses that encoder as the base of every
// method (a task-adapted base; it was the stand-in for pre-training before the example had a
// pre-trained model).
//
// Without --backend it runs onnx, then tfjs (wasm). Uses the CLI's setup (config loading, data
// preparation, model building, strategy table) and core's Trainer directly, so every method
// trains through exactly the code `tunekit train` runs.
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import {
  buildModel,
  createStrategy,
  loadTrainConfigFile,
  prepareData,
  type StrategySpec,
  type TrainConfig,
} from "@tunekit/cli";
import {
  adamw,
  type Backend,
  type HostTensor,
  loadTokenizer,
  type Module,
  parameterReport,
  saveBertCheckpoint,
  Trainer,
  type TrainerData,
  type TrainerModel,
  type Tokenizer,
  writeSafetensorsFile,
} from "@tunekit/core";
import { saveAdapterFolder } from "@tunekit/strategies";

/** One compared method: its config strategy block and peak learning rate. */
interface MethodCase {
  readonly label: string;
  readonly strategy: string | Record<string, unknown>;
  readonly lr: number;
}

// Learning rates: full fine-tuning keeps the example's 1e-3; every method that trains a small
// set of new or selected parameters (and the head-only baseline) gets 5e-3, the usual "PEFT
// needs a higher lr" (same value for all, so the baseline is not handicapped); IA3's scaling
// vectors and prompt tuning's virtual tokens get 1e-2 (IA3 and prompt tuning are usually run
// at a still higher lr than LoRA).
const METHODS: readonly MethodCase[] = [
  { label: "full", strategy: "full", lr: 1e-3 },
  { label: "head-only", strategy: "head-only", lr: 5e-3 },
  { label: "lora (r 8)", strategy: { method: "lora", r: 8 }, lr: 5e-3 },
  // rsLoRA scales the update by alpha/√r instead of alpha/r: √8 ≈ 2.8× LoRA's at r 8, so it
  // gets lr 2e-3 (5e-3/√8 ≈ 1.8e-3, rounded); at 5e-3 it overshoots (last-20% loss 0.6657 vs
  // 0.6298 at 2e-3 on onnx).
  { label: "rslora (r 8)", strategy: { method: "rslora", r: 8 }, lr: 2e-3 },
  { label: "dora (r 8)", strategy: { method: "dora", r: 8 }, lr: 5e-3 },
  { label: "ia3", strategy: "ia3", lr: 1e-2 },
  { label: "bitfit", strategy: "bitfit", lr: 5e-3 },
  { label: "houlsby", strategy: "houlsby", lr: 5e-3 },
  { label: "pfeiffer", strategy: "pfeiffer", lr: 5e-3 },
  { label: "parallel adapter", strategy: "parallel-adapter", lr: 5e-3 },
  { label: "prefix (8 tokens)", strategy: { method: "prefix", numVirtualTokens: 8 }, lr: 5e-3 },
  // Prompt tuning starts from a text's word embeddings (PEFT's TEXT init, the one Lester et
  // al. recommend): on this small pre-trained model PEFT's random init (std 1) swamps the real
  // embeddings (last-20% loss 0.6721 vs head-only 0.6701 on the first version of the model).
  {
    label: "prompt (8 tokens, text init)",
    strategy: {
      method: "prompt",
      numVirtualTokens: 8,
      init: { text: "the sentiment of this movie review is" },
    },
    lr: 1e-2,
  },
];

/**
 * Last-20% mean losses within this of the head-only baseline's count as a tie: training the
 * same method on another 16,000 rows moves that mean by up to ~0.01 (see the README).
 */
const TIE = 0.005;

/** Same budget for every method on one backend. */
interface Budget {
  readonly steps: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly devRows: number;
}

const BUDGETS: Record<"onnx" | "tfjs", Budget> = {
  // the example's own budget (16,000 rows = 500 steps, one epoch); tfjs-wasm is ~2-4x slower
  // per step at this size, which still fits both backends in ~12 minutes on 2 cores
  onnx: { steps: 500, batchSize: 32, maxLength: 64, devRows: 872 },
  tfjs: { steps: 500, batchSize: 32, maxLength: 64, devRows: 872 },
};

interface Row {
  readonly label: string;
  readonly lr: number;
  readonly trainable: number;
  readonly percent: number;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
  readonly accuracy: number;
  readonly seconds: number;
}

const { values } = parseArgs({
  options: {
    backend: { type: "string" },
    steps: { type: "string" },
    methods: { type: "string" },
    out: { type: "string" },
    "lr-scale": { type: "string" },
    "base-steps": { type: "string" },
    config: { type: "string", default: "examples/sst2-bert-4l.json" },
    custom: { type: "string" },
    "custom-lr": { type: "string", default: "5e-3" },
  },
});
const lrScale = Number(values["lr-scale"] ?? 1);
/** How the tables name the base model (set from the config). */
let modelLabel = "";
const baseSteps = Number(values["base-steps"] ?? 0);
const backends = values.backend === undefined ? (["onnx", "tfjs"] as const) : [values.backend];
for (const b of backends) {
  if (b !== "onnx" && b !== "tfjs") throw new Error(`--backend ${b}: expected onnx or tfjs`);
}
const wanted = values.methods?.split(",");
const methods: MethodCase[] =
  wanted === undefined ? [...METHODS] : METHODS.filter((m) => wanted.some((w) => m.label.startsWith(w)));
if (values.custom !== undefined) {
  const strategy = JSON.parse(values.custom) as Record<string, unknown>;
  if (!methods.some((m) => m.label === "head-only")) methods.unshift(METHODS[1]!);
  methods.push({ label: `custom ${values.custom}`, strategy, lr: Number(values["custom-lr"]) });
}

const sections: string[] = [];
for (const name of backends as readonly ("onnx" | "tfjs")[]) {
  const budget = { ...BUDGETS[name], ...(values.steps === undefined ? {} : { steps: Number(values.steps) }) };
  const rows = await compareOn(name, budget);
  const section = formatSection(name, budget, rows);
  console.log(`\n${section}\n`);
  sections.push(section);
}
if (values.out !== undefined) await writeFile(values.out, `${sections.join("\n\n")}\n`);

async function compareOn(name: "onnx" | "tfjs", budget: Budget): Promise<Row[]> {
  const overrides = [
    {
      path: ["data", "maxRows"],
      value: { train: (baseSteps + budget.steps) * budget.batchSize, validation: budget.devRows },
    },
    { path: ["training", "maxLength"], value: budget.maxLength },
  ];
  const { config } = await loadTrainConfigFile(values.config, process.cwd(), overrides);
  modelLabel =
    config.model.kind === "pretrained"
      ? `\`${relative(process.cwd(), config.model.path)}\``
      : `random (${config.model.layers} layers, hidden ${config.model.hidden})`;
  const tokenizer = await loadTokenizer(config.tokenizer);
  const prepared = await prepareData(config.data, config.task, tokenizer, budget.maxLength, [
    "train",
    "validation",
  ]);
  const all = prepared.splits.train!.data;
  const split = baseSteps * budget.batchSize;
  const train = baseSteps > 0 ? rowsOf(all, split, all.lengths.length) : all;
  const dev = prepared.splits.validation!.data;
  console.error(
    `${name}: ${train.lengths.length} train rows, ${dev.lengths.length} dev rows, ${budget.steps} steps`,
  );
  const backend: Backend =
    name === "onnx" ? await createOnnxBackend() : await createTfjsBackend({ engine: "wasm" });
  const rows: Row[] = [];
  try {
    const common = { config, tokenizer, labels: prepared.labelNames, dev, backend };
    let base: Map<string, HostTensor> | undefined;
    if (baseSteps > 0) {
      const t0 = performance.now();
      const trained = await trainOne(METHODS[0]!, {
        ...common,
        train: rowsOf(all, 0, split),
        budget: { ...budget, steps: baseSteps },
        keep: (model) => {
          base = new Map(
            model
              .namedParameters()
              .filter(([n]) => !n.startsWith("classifier."))
              .map(([n, p]) => [n, p.value]),
          );
        },
      });
      console.error(
        `${name}: base encoder fine-tuned for ${baseSteps} steps on ${split} other rows (dev acc ${trained.accuracy.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(1)}s); its classifier is discarded`,
      );
    }
    for (const m of methods) {
      rows.push(await trainOne(m, { ...common, train, budget, ...(base === undefined ? {} : { base }) }));
      const r = rows[rows.length - 1]!;
      console.error(
        `${name} ${r.label}: loss ${r.first.toFixed(4)} -> ${r.last.toFixed(4)}, dev acc ${r.accuracy.toFixed(4)}, ${r.seconds.toFixed(1)}s`,
      );
    }
  } finally {
    backend.dispose();
  }
  return rows;
}

async function trainOne(
  m: MethodCase,
  o: {
    readonly config: TrainConfig;
    readonly tokenizer: Tokenizer;
    readonly labels: readonly string[];
    readonly train: TrainerData;
    readonly dev: TrainerData;
    readonly backend: Backend;
    readonly budget: Budget;
    /** Encoder weights to start from (a fresh classifier is kept). */
    readonly base?: ReadonlyMap<string, HostTensor>;
    /** Called with the trained model. */
    readonly keep?: (model: Module) => void;
  },
): Promise<Row> {
  const t = o.config.training;
  const built = await buildModel(o.config.model, {
    task: "sequence-classification",
    labels: o.labels,
    vocabSize: o.tokenizer.vocabSize,
    padId: o.tokenizer.padId,
    maxLength: o.budget.maxLength,
    seed: t.seed,
  });
  if (o.base !== undefined) {
    for (const [n, p] of built.model.namedParameters()) {
      const v = o.base.get(n);
      if (v !== undefined) p.value = v;
    }
  }
  const baseTotal = parameterReport(built.model).total;
  const spec: StrategySpec =
    typeof m.strategy === "string"
      ? { method: m.strategy, options: {} }
      : (({ method, ...options }) => ({ method: method as string, options }))(m.strategy);
  const strategy = await createStrategy(spec, "compare-strategies", { tokenizer: o.tokenizer });
  const model = strategy.apply(built.model) as Module & TrainerModel;
  const trainable = parameterReport(model).trainable;
  const losses: number[] = [];
  const started = performance.now();
  const trainer = new Trainer({
    model,
    backend: o.backend,
    batchSize: o.budget.batchSize,
    optimizer: adamw({ weightDecay: t.weightDecay, decayFilter: "hf" }),
    maxSteps: o.budget.steps,
    epochs: 1,
    lr: m.lr * lrScale,
    schedule: "linear",
    warmupRatio: 0.1,
    clipNorm: 1,
    seed: t.seed,
    padding: { buckets: paddingBuckets(o.budget.maxLength) },
    bucketing: { windowBatches: 50 },
    onProgress: (p) => losses.push(p.loss),
  });
  let accuracy: number;
  try {
    await trainer.fit(o.train);
    accuracy = (await trainer.evaluate(o.dev)).metrics.accuracy ?? Number.NaN;
    o.keep?.(model);
  } finally {
    await trainer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const k = Math.max(1, Math.round(losses.length * 0.2));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    label: m.label,
    lr: m.lr * lrScale,
    trainable,
    percent: (100 * trainable) / baseTotal,
    bytes: await savedBytes(spec.method, built.model, model),
    first: mean(losses.slice(0, k)),
    last: mean(losses.slice(-k)),
    accuracy,
    seconds,
  };
}

/**
 * Bytes on disk of what a method needs next to the base model: full fine-tuning the whole
 * checkpoint; head-only and BitFit their trainable tensors (safetensors); adapter methods
 * saveAdapterFolder's folder (adapter_config.json + adapter_model.safetensors).
 */
async function savedBytes(method: string, base: Module, adapted: Module): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-compare-"));
  try {
    if (method === "full") await saveBertCheckpoint(base as Parameters<typeof saveBertCheckpoint>[0], dir);
    else if (method === "head-only" || method === "bitfit") {
      const tensors = Object.fromEntries(
        adapted
          .namedParameters()
          .filter(([, p]) => p.trainable)
          .map(([n, p]) => [n, p.value]),
      );
      await writeSafetensorsFile(join(dir, "trainable.safetensors"), tensors, { format: "pt" });
    } else await saveAdapterFolder(adapted, dir);
    let total = 0;
    for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
    return total;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rows `[from, to)` of a tokenised data set. */
function rowsOf(d: TrainerData, from: number, to: number): TrainerData {
  return {
    ...d,
    ids: d.ids.slice(from, to),
    tokenTypeIds: d.tokenTypeIds.slice(from, to),
    lengths: d.lengths.slice(from, to),
    labels: d.labels?.slice(from, to),
  };
}

/** Padding lengths 16, 32, ..., maxLength (as `tunekit train`). */
function paddingBuckets(maxLength: number): number[] {
  const buckets: number[] = [];
  for (let b = 16; b < maxLength; b *= 2) buckets.push(b);
  buckets.push(maxLength);
  return buckets;
}

function formatSection(name: string, b: Budget, rows: readonly Row[]): string {
  const base = rows.find((r) => r.label === "head-only");
  const kb = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);
  const lines = [
    `**${name === "onnx" ? "onnx (onnxruntime-node, CPU)" : "tfjs (wasm)"}**${baseSteps > 0 ? ` on a base encoder fine-tuned for ${baseSteps} steps on other SST-2 rows` : `, base ${modelLabel}`}: ${b.steps} steps, batch ${b.batchSize}, ` +
      `max length ${b.maxLength}, linear schedule with 10% warm-up, AdamW (weight decay 0.01), clip norm 1; ` +
      `dev accuracy on ${b.devRows} SST-2 dev sentences; "beats head-only": last-20% loss more than ${TIE} below the baseline's ("tie" within ±${TIE})`,
    "",
    "| method | lr | trainable | trainable % | adapter size | loss first 20% | loss last 20% | beats head-only | dev acc | wall |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ...rows.map((r) => {
      const beats =
        r.label === "head-only" || base === undefined
          ? "(baseline)"
          : r.last < base.last - TIE
            ? "yes"
            : r.last > base.last + TIE
              ? "no"
              : "tie";
      return `| ${r.label} | ${r.lr} | ${r.trainable.toLocaleString("en-US")} | ${r.percent.toFixed(3)}% | ${kb(r.bytes)} | ${r.first.toFixed(4)} | ${r.last.toFixed(4)} | ${beats} | ${r.accuracy.toFixed(4)} | ${r.seconds.toFixed(1)} s |`;
    }),
  ];
  return lines.join("\n");
}
