import type { Backend } from "../backend/backend.js";
import type { PaddingStrategy } from "../data/padding.js";
import { TunekitError } from "../errors.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { LrSchedule } from "../optim/schedules.js";
import type { TrainerCallbacks } from "./trainer-callbacks.js";
import type { TrainerModel } from "./trainer-model.js";
import type { TrainerProgress } from "./trainer-progress.js";

/**
 * Learning-rate schedule names the Trainer builds itself (from `lr`, warm-up and the total steps).
 *
 * @example
 * ```ts
 * SCHEDULE_NAMES.includes("cosine"); // true
 * ```
 */
export const SCHEDULE_NAMES = ["constant", "linear", "cosine"] as const;

/**
 * A named learning-rate schedule, or your own {@link LrSchedule} of the updates done.
 *
 * @example
 * ```ts
 * const s: TrainerSchedule = "linear";
 * ```
 */
export type TrainerSchedule = (typeof SCHEDULE_NAMES)[number] | LrSchedule;

/**
 * Early stopping: stop after `patience` evaluations without an improvement of more than
 * `minDelta` in `metric` (default: the trainer's `metricForBest`).
 *
 * @example
 * ```ts
 * const es: EarlyStoppingOptions = { metric: "accuracy", patience: 3, mode: "max", minDelta: 0.001 };
 * ```
 */
export interface EarlyStoppingOptions {
  readonly metric?: string;
  readonly patience: number;
  /** `max`: larger is better; `min`: smaller is better. Default: from the metric (`loss`/`mse` min, else max). */
  readonly mode?: "max" | "min";
  /** Smallest change that counts as an improvement (default 0). */
  readonly minDelta?: number;
}

/**
 * Where and when checkpoints are written: after every evaluation that improves the best
 * metric (so the best evaluation always has one), every `everySteps` updates, at each epoch
 * end when `atEpochEnd`, and at the end of training. The newest `keepLast` and the best are kept.
 * Each step is written once: a checkpoint due at the update that ends an epoch is written after
 * the epoch-end work (evaluation, position moved to the next epoch).
 *
 * @example
 * ```ts
 * const c: CheckpointOptions = { dir: "runs/sst2", everySteps: 500, keepLast: 2 };
 * ```
 */
export interface CheckpointOptions {
  readonly dir: string;
  readonly everySteps?: number;
  /** Default: `true` when `everySteps` is not set. */
  readonly atEpochEnd?: boolean;
  /** Newest checkpoints kept (default 2, at least 1); the best is kept besides them. */
  readonly keepLast?: number;
}

/**
 * When to evaluate on the `evalData` given to `fit`: every `everySteps` updates and/or at
 * each epoch end (default: at epoch ends when `everySteps` is not set).
 *
 * @example
 * ```ts
 * const e: EvaluationOptions = { everySteps: 100 };
 * ```
 */
export interface EvaluationOptions {
  readonly everySteps?: number;
  readonly atEpochEnd?: boolean;
}

/**
 * Options of the {@link Trainer}. Give `epochs` or `maxSteps` (or both: training stops at
 * whichever comes first). A step is one optimizer update (`gradientAccumulation` batches).
 *
 * @example
 * ```ts
 * const options: TrainerOptions = {
 *   model, backend, batchSize: 16, epochs: 3, lr: 2e-5, schedule: "linear", warmupRatio: 0.1,
 *   clipNorm: 1, seed: 42, metrics: ["accuracy", "macro_f1"], earlyStopping: { patience: 2 },
 * };
 * ```
 */
export interface TrainerOptions {
  readonly model: TrainerModel;
  readonly backend: Backend;
  readonly batchSize: number;
  /** Batch size of `evaluate` / `predict` (default: `batchSize`). */
  readonly evalBatchSize?: number;
  readonly epochs?: number;
  readonly maxSteps?: number;
  /** Default: `adamw({ weightDecay: 0.01, decayFilter: "hf" })`. */
  readonly optimizer?: Optimizer;
  /** Peak learning rate of named schedules (default 5e-5). */
  readonly lr?: number;
  /** Default `"linear"`. */
  readonly schedule?: TrainerSchedule;
  readonly warmupSteps?: number;
  /** Warm-up as a fraction of the total steps (ignored when `warmupSteps` is given). */
  readonly warmupRatio?: number;
  /** Clip the global gradient norm to this value (default: no clipping). */
  readonly clipNorm?: number;
  /** Batches per optimizer update (default 1). */
  readonly gradientAccumulation?: number;
  /**
   * Run the optimizer update on the host, in place, instead of inside the compiled step
   * (default false): the step returns gradients only, so the optimizer state never crosses into
   * the backend, and an embedding table read only through `gather` returns the gathered rows'
   * gradients instead of a dense table. Same results as the in-graph update (to 1e-6). Measured on
   * the bench BERT (full fine-tuning, ONNX backend, 2 cores): about 280 MB lower peak RSS and a
   * 5–10 % shorter step. Needs an optimizer with a host update (`adamw`).
   */
  readonly optimizerOnHost?: boolean;
  /**
   * With `optimizerOnHost`: threads sharing the host update (default 1; `hostThreads − 1`
   * worker threads, results bit-identical to one thread). Call {@link Trainer.dispose} when done
   * to stop the workers.
   */
  readonly hostThreads?: number;
  /** Seeds shuffling and dropout (default 42). Model init is seeded where the model is built. */
  readonly seed?: number;
  /** Dropout while training (default true). */
  readonly dropout?: boolean;
  /** Padding of batches (default `"longest"`; `{ buckets }` keeps the compiled shapes few). */
  readonly padding?: PaddingStrategy;
  /** Sort rows by length within windows of `windowBatches` batches (default off). */
  readonly bucketing?: { readonly windowBatches?: number } | false;
  /** What to do with a last, smaller training batch (default `"keep"`). */
  readonly lastBatch?: "keep" | "drop";
  /**
   * Row order of an epoch: `"shuffle"` (default) or `"balanced"` (sequence classification:
   * every class oversampled to the largest one, seeded by `seed` and the epoch).
   */
  readonly sampling?: "shuffle" | "balanced";
  /**
   * One loss weight per class (classification and token classification): the loss becomes
   * PyTorch's `CrossEntropyLoss(weight=classWeights)`, `Σ w[y]·loss / Σ w[y]`, in training and
   * in evaluation. See `balancedClassWeights`.
   */
  readonly classWeights?: readonly number[];
  /** Metric names (default: per task, see {@link @tunekit/core/trainer!TASK_METRICS}). */
  readonly metrics?: readonly string[];
  /** Metric that picks the best checkpoint (default `"loss"`). */
  readonly metricForBest?: string;
  /** Default: from the metric (`loss`/`mse` min, else max). */
  readonly bestMode?: "max" | "min";
  readonly evaluation?: EvaluationOptions;
  readonly earlyStopping?: EarlyStoppingOptions;
  readonly checkpoints?: CheckpointOptions;
  /** After training, load the best checkpoint's weights into the model (needs checkpoints and evaluation). */
  readonly loadBestAtEnd?: boolean;
  readonly callbacks?: readonly TrainerCallbacks[];
  /** Called after every update with throughput and ETA (for progress bars). */
  readonly onProgress?: (progress: TrainerProgress) => void;
  /** Receives one formatted line per `logEvery` updates and per evaluation; nothing is printed without it. */
  readonly logger?: (line: string) => void;
  /** Updates between logger lines (default 10). */
  readonly logEvery?: number;
}

const list = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(", ");

/**
 * Throws `INVALID_ARGUMENT` naming `option`, the received value and what is allowed (internal to the trainer).
 *
 * @example
 * ```ts
 * invalidOption("batchSize", 0, "a positive integer"); // Trainer: option batchSize is 0; expected a positive integer
 * ```
 */
export function invalidOption(option: string, received: unknown, expected: string): never {
  const shown =
    typeof received === "function"
      ? "a function"
      : typeof received === "number" || received === undefined
        ? String(received)
        : JSON.stringify(received);
  throw new TunekitError("INVALID_ARGUMENT", `Trainer: option ${option} is ${shown}; expected ${expected}`, {
    details: { option, received },
  });
}

function positiveInt(option: string, v: unknown, optional: boolean): void {
  if (v === undefined && optional) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) invalidOption(option, v, "a positive integer");
}

function nonNegative(option: string, v: unknown, integer: boolean): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    invalidOption(option, v, `a non-negative ${integer ? "integer" : "number"}`);
  }
}

function mode(option: string, v: unknown): void {
  if (v !== undefined && v !== "max" && v !== "min")
    invalidOption(option, v, `one of ${list(["max", "min"])}`);
}

/**
 * Validates {@link TrainerOptions} that do not depend on the data; every error names the
 * option, the value received and the allowed values.
 *
 * @example
 * ```ts
 * validateTrainerOptions({ model, backend, batchSize: 8 }); // throws: give epochs or maxSteps
 * ```
 */
export function validateTrainerOptions(o: TrainerOptions): void {
  if (
    o.model === undefined ||
    (typeof o.model.forward !== "function" && typeof o.model.forwardBatch !== "function")
  ) {
    invalidOption(
      "model",
      typeof o.model,
      "a model with forward (a BERT head: BertForSequenceClassification, BertForTokenClassification) or forwardBatch (e.g. MultiTaskModel)",
    );
  }
  if (typeof (o.backend as unknown as PromiseLike<unknown> | undefined)?.then === "function") {
    invalidOption(
      "backend",
      "a Promise",
      "a Backend: await it first (const backend = await createOnnxBackend())",
    );
  }
  if (o.backend === undefined || typeof o.backend.compile !== "function") {
    invalidOption(
      "backend",
      typeof o.backend,
      "a Backend (createReferenceBackend(), createTfjsBackend(), createOnnxBackend())",
    );
  }
  positiveInt("batchSize", o.batchSize, false);
  positiveInt("evalBatchSize", o.evalBatchSize, true);
  positiveInt("epochs", o.epochs, true);
  positiveInt("maxSteps", o.maxSteps, true);
  positiveInt("gradientAccumulation", o.gradientAccumulation, true);
  positiveInt("logEvery", o.logEvery, true);
  if (o.epochs === undefined && o.maxSteps === undefined) {
    invalidOption("epochs/maxSteps", undefined, "epochs (e.g. 3) or maxSteps (e.g. 1000), or both");
  }
  if (o.lr !== undefined && (!Number.isFinite(o.lr) || o.lr < 0))
    invalidOption("lr", o.lr, "a non-negative number, e.g. 5e-5");
  if (o.schedule !== undefined && typeof o.schedule !== "function" && !SCHEDULE_NAMES.includes(o.schedule)) {
    invalidOption("schedule", o.schedule, `one of ${list(SCHEDULE_NAMES)} or a function of the updates done`);
  }
  nonNegative("warmupSteps", o.warmupSteps, true);
  if (o.warmupRatio !== undefined && !(o.warmupRatio >= 0 && o.warmupRatio <= 1)) {
    invalidOption("warmupRatio", o.warmupRatio, "a number in [0, 1]");
  }
  if (o.clipNorm !== undefined && !(Number.isFinite(o.clipNorm) && o.clipNorm > 0)) {
    invalidOption("clipNorm", o.clipNorm, "a positive number, e.g. 1");
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed)) invalidOption("seed", o.seed, "an integer, e.g. 42");
  if (o.optimizerOnHost !== undefined && typeof o.optimizerOnHost !== "boolean") {
    invalidOption("optimizerOnHost", o.optimizerOnHost, "true or false");
  }
  if (o.optimizerOnHost === true && o.optimizer !== undefined && o.optimizer.updateOnHost === undefined) {
    invalidOption(
      "optimizerOnHost",
      o.optimizerOnHost,
      `false with optimizer ${o.optimizer.name}, which has no host update (use adamw(), or drop optimizerOnHost)`,
    );
  }
  if (o.hostThreads !== undefined) {
    if (!(Number.isInteger(o.hostThreads) && o.hostThreads >= 1 && o.hostThreads <= 64)) {
      invalidOption("hostThreads", o.hostThreads, "an integer from 1 to 64, e.g. 2");
    }
    if (o.hostThreads > 1 && o.optimizerOnHost !== true) {
      invalidOption(
        "hostThreads",
        o.hostThreads,
        "1 unless optimizerOnHost is true (set optimizerOnHost: true)",
      );
    }
  }
  if (o.lastBatch !== undefined && o.lastBatch !== "keep" && o.lastBatch !== "drop") {
    invalidOption("lastBatch", o.lastBatch, `one of ${list(["keep", "drop"])}`);
  }
  mode("bestMode", o.bestMode);
  if (o.sampling !== undefined && o.sampling !== "shuffle" && o.sampling !== "balanced") {
    invalidOption("sampling", o.sampling, `one of ${list(["shuffle", "balanced"])}`);
  }
  if (o.classWeights !== undefined) checkClassWeights(o);
  if (o.evaluation) {
    positiveInt("evaluation.everySteps", o.evaluation.everySteps, true);
  }
  if (o.earlyStopping) {
    positiveInt("earlyStopping.patience", o.earlyStopping.patience, false);
    mode("earlyStopping.mode", o.earlyStopping.mode);
    nonNegative("earlyStopping.minDelta", o.earlyStopping.minDelta, false);
  }
  if (o.checkpoints) {
    if (typeof o.checkpoints.dir !== "string" || o.checkpoints.dir === "") {
      invalidOption("checkpoints.dir", o.checkpoints.dir, "a folder path");
    }
    positiveInt("checkpoints.everySteps", o.checkpoints.everySteps, true);
    positiveInt("checkpoints.keepLast", o.checkpoints.keepLast, true);
  }
}

function checkClassWeights(o: TrainerOptions): void {
  const w = o.classWeights!;
  const n = o.model.numLabels;
  if (!Array.isArray(w) || w.some((x) => typeof x !== "number" || !Number.isFinite(x) || x <= 0)) {
    invalidOption("classWeights", w, "a list of positive numbers, one per class");
  }
  if (n !== undefined && w.length !== n) {
    invalidOption("classWeights", w, `${n} weights (the model has ${n} labels)`);
  }
  if (typeof o.model.forwardBatch === "function") {
    invalidOption(
      "classWeights",
      w,
      "no class weights for this model: they apply to a BERT-shaped classification head (forward), not a forwardBatch model",
    );
  }
}
