import { TunekitError } from "../errors.js";
import { mixSeeds, mulberry32, permutation, type Rng } from "./random.js";

/**
 * How a multi-task mixture picks the task of each batch (or row):
 * - `"proportional"`: p_i ∝ n_i (examples-proportional mixing);
 * - `"temperature"`: p_i ∝ n_i^(1/T) (T = 1 is proportional, T → ∞ uniform);
 * - `"uniform"`: p_i = 1 / tasks;
 * - `"annealed"`: p_i ∝ n_i^α with α = 1 − 0.8·(e − 1)/(E − 1) in epoch e of E (Stickland &
 *   Murray 2019): proportional in the first epoch, close to uniform in the last.
 *
 * @example
 * ```ts
 * const strategy: TaskSamplingStrategy = "temperature";
 * ```
 */
export type TaskSamplingStrategy = "proportional" | "temperature" | "uniform" | "annealed";

/**
 * The strategies {@link taskSamplingProbabilities} accepts.
 *
 * @example
 * ```ts
 * TASK_SAMPLING_STRATEGIES.includes("annealed"); // true
 * ```
 */
export const TASK_SAMPLING_STRATEGIES: readonly TaskSamplingStrategy[] = Object.freeze([
  "proportional",
  "temperature",
  "uniform",
  "annealed",
]);

/**
 * Options of multi-task sampling.
 *
 * @example
 * ```ts
 * const o: TaskSamplingOptions = { strategy: "temperature", temperature: 10, cap: 20_000 };
 * ```
 */
export interface TaskSamplingOptions {
  /** Default `"temperature"`. */
  readonly strategy?: TaskSamplingStrategy;
  /** T of `"temperature"` sampling (default 10; `Infinity` is uniform). */
  readonly temperature?: number;
  /** Size cap K: a task counts as min(n_i, K) examples (default: no cap). */
  readonly cap?: number;
}

/**
 * Sampling probabilities of tasks with `sizes` examples. `epoch` (0-based) and `epochs`
 * are needed by `"annealed"` only.
 *
 * @example
 * ```ts
 * taskSamplingProbabilities([20_000, 5_000, 1_000, 200], { strategy: "temperature", temperature: 10 });
 * // ≈ [0.308, 0.268, 0.229, 0.195]
 * ```
 */
export function taskSamplingProbabilities(
  sizes: readonly number[],
  options: TaskSamplingOptions = {},
  progress: { readonly epoch: number; readonly epochs: number } = { epoch: 0, epochs: 1 },
): number[] {
  checkSamplingOptions(options);
  if (sizes.length === 0) {
    throw new TunekitError("INVALID_ARGUMENT", "task sampling: the mixture has no tasks; add at least one");
  }
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) {
      throw new TunekitError(
        "DATA_INVALID",
        `task sampling: task ${i} has ${n} training rows; every task needs at least one row`,
      );
    }
  });
  const strategy = options.strategy ?? "temperature";
  const capped = sizes.map((n) => Math.min(n, options.cap ?? Number.POSITIVE_INFINITY));
  let exponent: number;
  switch (strategy) {
    case "proportional":
      exponent = 1;
      break;
    case "uniform":
      exponent = 0;
      break;
    case "temperature":
      exponent = 1 / (options.temperature ?? 10);
      break;
    case "annealed": {
      const { epoch, epochs } = progress;
      exponent = epochs <= 1 ? 1 : 1 - (0.8 * Math.min(epoch, epochs - 1)) / (epochs - 1);
      break;
    }
  }
  // n^α through logs, relative to the largest task, so huge sizes never overflow
  const logMax = Math.max(...capped.map((n) => Math.log(n)));
  const weights = capped.map((n) => Math.exp(exponent * (Math.log(n) - logMax)));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function checkSamplingOptions(o: TaskSamplingOptions): void {
  if (o.strategy !== undefined && !TASK_SAMPLING_STRATEGIES.includes(o.strategy)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `task sampling strategy "${String(o.strategy)}" is not supported; expected one of ${TASK_SAMPLING_STRATEGIES.join(", ")}`,
    );
  }
  const t = o.temperature;
  if (t !== undefined && !(t > 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `task sampling temperature must be > 0 (1 = proportional, Infinity = uniform), got ${t}`,
    );
  }
  const k = o.cap;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) {
    throw new TunekitError("INVALID_ARGUMENT", `task sampling cap must be a positive integer, got ${k}`);
  }
}

/**
 * How a multi-task batch is filled: `"per-task"` (every row of a batch from one sampled task,
 * the default) or `"mixed"` (each row's task sampled on its own; each row goes to its own
 * task's head in one pass).
 *
 * @example
 * ```ts
 * const b: MixtureBatching = "mixed";
 * ```
 */
export type MixtureBatching = "per-task" | "mixed";

/**
 * Options of {@link mixtureEpochBatches}.
 *
 * @example
 * ```ts
 * const o: MixtureEpochOptions = { batchSize: 16, seed: 42, epoch: 0, epochs: 3, batching: "per-task" };
 * ```
 */
export interface MixtureEpochOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** 0-based. */
  readonly epoch: number;
  /** Total epochs (for annealed sampling). */
  readonly epochs: number;
  readonly batching?: MixtureBatching;
  readonly sampling?: TaskSamplingOptions;
}

/**
 * The micro-batches of one epoch over a mixture of tasks with `sizes` rows each, as global
 * row indices (task `t`'s rows are `offset_t .. offset_t + n_t - 1`, tasks in order). An
 * epoch holds `ceil(Σ min(n_i, K) / batchSize)` full batches; each batch's (or row's) task is
 * drawn with {@link taskSamplingProbabilities}, and each task's rows come from its own
 * shuffled stream, reshuffled whenever it runs out. A pure function of the seed and the
 * epoch, so a resumed run replays the same batches.
 *
 * @example
 * ```ts
 * const batches = mixtureEpochBatches([1000, 200], { batchSize: 8, seed: 42, epoch: 0, epochs: 1 });
 * ```
 */
export function mixtureEpochBatches(sizes: readonly number[], o: MixtureEpochOptions): Int32Array[] {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `mixture batches: batchSize must be a positive integer, got ${o.batchSize}`,
    );
  }
  const probs = taskSamplingProbabilities(sizes, o.sampling, { epoch: o.epoch, epochs: o.epochs });
  const cap = o.sampling?.cap ?? Number.POSITIVE_INFINITY;
  const rows = sizes.reduce((s, n) => s + Math.min(n, cap), 0);
  const count = Math.ceil(rows / o.batchSize);
  const offsets: number[] = [];
  sizes.reduce((off, n) => {
    offsets.push(off);
    return off + n;
  }, 0);
  const streams = sizes.map((n, t) => new TaskRowStream(n, offsets[t]!, o.seed, o.epoch, t));
  const pick = mulberry32(mixSeeds(o.seed, o.epoch, 0x7a5c));
  const out: Int32Array[] = [];
  for (let b = 0; b < count; b++) {
    const batch = new Int32Array(o.batchSize);
    if ((o.batching ?? "per-task") === "per-task") {
      const stream = streams[sampleIndex(probs, pick)]!;
      for (let i = 0; i < o.batchSize; i++) batch[i] = stream.next();
    } else {
      for (let i = 0; i < o.batchSize; i++) batch[i] = streams[sampleIndex(probs, pick)]!.next();
    }
    out.push(batch);
  }
  return out;
}

function sampleIndex(probs: readonly number[], rng: Rng): number {
  const u = rng();
  let c = 0;
  for (let i = 0; i < probs.length; i++) {
    c += probs[i]!;
    if (u < c) return i;
  }
  return probs.length - 1;
}

/** Rows of one task in shuffled order, a new permutation each time it runs out. */
class TaskRowStream {
  private order: Int32Array = new Int32Array(0);
  private pos = 0;
  private cycle = 0;

  constructor(
    private readonly n: number,
    private readonly offset: number,
    private readonly seed: number,
    private readonly epoch: number,
    private readonly task: number,
  ) {}

  next(): number {
    if (this.pos >= this.order.length) {
      this.order = permutation(this.n, mulberry32(mixSeeds(this.seed, this.epoch, this.task, this.cycle++)));
      this.pos = 0;
    }
    return this.offset + this.order[this.pos++]!;
  }
}
