import type { TokenizedDataset } from "../data/batching.js";
import { collateRows } from "../data/batching.js";
import type { PaddingStrategy } from "../data/padding.js";
import {
  type MixtureBatching,
  mixtureEpochBatches,
  type TaskSamplingOptions,
  taskSamplingProbabilities,
} from "../data/task-sampling.js";
import { TunekitError } from "../errors.js";
import type { ResolvedTaskHead } from "../models/multitask/task-head.js";
import { MULTI_TASK_INPUTS } from "../models/multitask/multi-task-model.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { checkTrainerData, type TrainerBatch } from "./trainer-data.js";
import type { TrainerData } from "./trainer-model.js";

/**
 * One task of a {@link TaskMixture}: its name (a task of the model), training rows, and
 * optional evaluation rows and score metric (default: the first of its kind's metrics,
 * e.g. `accuracy`, `pearson`).
 *
 * @example
 * ```ts
 * const task: MixtureTask = { name: "stsb", train: stsbTrain, eval: stsbDev, metric: "spearman" };
 * ```
 */
export interface MixtureTask {
  readonly name: string;
  readonly train: TrainerData;
  readonly eval?: TrainerData;
  /** The metric this task adds to the macro score. */
  readonly metric?: string;
}

/**
 * Training data of several tasks for one multi-task model: `Trainer.fit(mixture)`. Tasks
 * are drawn per batch (`batching: "per-task"`, default) or per row (`"mixed"`) with
 * `sampling` (default temperature sampling, T = 10). Evaluation scores each task that has
 * `eval` rows and averages their metrics into `macro`.
 *
 * @example
 * ```ts
 * const mixture: TaskMixture = {
 *   tasks: [{ name: "sst2", train: sst2, eval: sst2Dev }, { name: "rte", train: rte, eval: rteDev }],
 *   sampling: { strategy: "temperature", temperature: 2 },
 * };
 * await trainer.fit(mixture);
 * ```
 */
export interface TaskMixture {
  readonly tasks: readonly MixtureTask[];
  readonly sampling?: TaskSamplingOptions;
  readonly batching?: MixtureBatching;
}

/**
 * Whether `data` is a {@link TaskMixture} (has a `tasks` array) rather than one data set.
 *
 * @example
 * ```ts
 * if (isTaskMixture(train)) console.log(train.tasks.length);
 * ```
 */
export function isTaskMixture(data: unknown): data is TaskMixture {
  return typeof data === "object" && data !== null && Array.isArray((data as TaskMixture).tasks);
}

/**
 * A model the Trainer can train on a {@link TaskMixture}: its `tasks` name the heads, in
 * `task_ids` order (e.g. {@link @tunekit/core/models!MultiTaskModel}, or one a strategy adapted).
 *
 * @example
 * ```ts
 * const heads: MultiTaskHeads = new MultiTaskModel(config, tasks);
 * ```
 */
export interface MultiTaskHeads {
  readonly tasks: readonly ResolvedTaskHead[];
}

function dataKind(d: TrainerData): ResolvedTaskHead["kind"] {
  return d.tokenLabels !== undefined
    ? "token-classification"
    : d.task === "regression"
      ? "regression"
      : "classification";
}

/**
 * Checks `data` against the head of `task`: the right kind of labels, class ids below the
 * label count, finite regression targets.
 *
 * @example
 * ```ts
 * checkTaskData(model.tasks[0], sst2Train, "train");
 * ```
 */
export function checkTaskData(task: ResolvedTaskHead, data: TrainerData, split: string): void {
  checkTrainerData(data, `task "${task.name}" ${split}`);
  const kind = dataKind(data);
  if (kind !== task.kind) {
    throw new TunekitError(
      "DATA_INVALID",
      `multi-task: task "${task.name}" has a ${task.kind} head but its ${split} data is ${kind} data; check the task's data set or its head kind`,
    );
  }
  const check = (v: number, where: string): void => {
    const bad =
      task.kind === "regression" ? !Number.isFinite(v) : v !== -100 && !(v >= 0 && v < task.numLabels);
    if (bad) {
      throw new TunekitError(
        "DATA_INVALID",
        `multi-task: task "${task.name}" ${split} ${where} has label ${v}; expected ${task.kind === "regression" ? "a finite number" : `a class id in 0..${task.numLabels - 1}`}`,
      );
    }
  };
  if (data.tokenLabels) {
    for (const [i, row] of data.tokenLabels.entries()) for (const v of row) check(v, `row ${i}`);
  } else if (data.labels) {
    for (const [i, v] of data.labels.entries()) check(v, `row ${i}`);
  }
}

/**
 * Batches of a {@link TaskMixture} for a model's tasks: the epoch plan (global row indices,
 * task `t`'s rows after those of tasks before it) and the feeds of a batch — Hugging Face
 * inputs, `task_ids`, and `labels_<i>` for every task of the model (rows of other tasks hold
 * -100, or 0 for regression), so every batch of a shape runs one compiled graph.
 *
 * @example
 * ```ts
 * const source = new MixtureSource(mixture, model.tasks);
 * const batch = source.collate(source.epochBatches({ batchSize: 8, seed: 42, epoch: 0, epochs: 1 })[0]!, "longest", true);
 * ```
 */
export class MixtureSource {
  /** Model task index of each mixture task. */
  readonly taskIndex: readonly number[];
  readonly sizes: readonly number[];
  readonly rows: number;
  readonly tokens: number;
  private readonly merged: TokenizedDataset;
  private readonly rowTask: Int32Array;
  private readonly offsets: readonly number[];

  constructor(
    readonly mixture: TaskMixture,
    readonly heads: readonly ResolvedTaskHead[],
  ) {
    if (!isTaskMixture(mixture) || mixture.tasks.length === 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        "multi-task: the mixture has no tasks; give tasks: [{ name, train }]",
      );
    }
    const seen = new Set<string>();
    this.taskIndex = mixture.tasks.map((t) => {
      if (seen.has(t.name))
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `multi-task: task "${t.name}" appears twice in the mixture`,
        );
      seen.add(t.name);
      const i = heads.findIndex((h) => h.name === t.name);
      if (i < 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `multi-task: the mixture's task "${t.name}" has no head in the model; the model's tasks: ${heads.map((h) => h.name).join(", ")}`,
        );
      }
      checkTaskData(heads[i]!, t.train, "train");
      if (t.eval !== undefined) checkTaskData(heads[i]!, t.eval, "eval");
      return i;
    });
    const first = mixture.tasks[0]!.train;
    for (const t of mixture.tasks) {
      if (t.train.padId !== first.padId) {
        throw new TunekitError(
          "DATA_INVALID",
          `multi-task: task "${t.name}" pads with id ${t.train.padId}, task "${mixture.tasks[0]!.name}" with ${first.padId}; tokenize every task with the same tokenizer`,
        );
      }
    }
    this.sizes = mixture.tasks.map((t) => t.train.lengths.length);
    taskSamplingProbabilities(this.sizes, mixture.sampling); // checks the options now
    const offsets: number[] = [];
    let rows = 0;
    for (const n of this.sizes) {
      offsets.push(rows);
      rows += n;
    }
    this.offsets = offsets;
    this.rows = rows;
    this.rowTask = new Int32Array(rows);
    const lengths = new Int32Array(rows);
    let tokens = 0;
    mixture.tasks.forEach((t, k) => {
      this.rowTask.fill(k, offsets[k]!, offsets[k]! + this.sizes[k]!);
      lengths.set(t.train.lengths, offsets[k]!);
      for (const n of t.train.lengths) tokens += n;
    });
    this.tokens = tokens;
    this.merged = {
      task: "classification",
      ids: mixture.tasks.flatMap((t) => t.train.ids),
      tokenTypeIds: mixture.tasks.flatMap((t) => t.train.tokenTypeIds),
      lengths,
      labels: undefined,
      padId: first.padId,
      maxLength: Math.max(...mixture.tasks.map((t) => t.train.maxLength)),
      numTruncated: mixture.tasks.reduce((s, t) => s + t.train.numTruncated, 0),
    };
  }

  /** Micro-batches (global row indices) of `epoch` of `epochs`. */
  epochBatches(o: { batchSize: number; seed: number; epoch: number; epochs: number }): Int32Array[] {
    return mixtureEpochBatches(this.sizes, {
      ...o,
      ...(this.mixture.batching === undefined ? {} : { batching: this.mixture.batching }),
      ...(this.mixture.sampling === undefined ? {} : { sampling: this.mixture.sampling }),
    });
  }

  /** Batches per epoch at `batchSize`. */
  batchesPerEpoch(batchSize: number): number {
    const cap = this.mixture.sampling?.cap ?? Number.POSITIVE_INFINITY;
    return Math.ceil(this.sizes.reduce((s, n) => s + Math.min(n, cap), 0) / batchSize);
  }

  /** Feeds of the rows at global `indices`. */
  collate(indices: Int32Array, padding: PaddingStrategy, withLabels: boolean): TrainerBatch {
    const local = Int32Array.from(indices, (g) => g - this.offsets[this.rowTask[g]!]!);
    const taskOfRow = Int32Array.from(indices, (g) => this.rowTask[g]!);
    return collateTaskRows(
      this.merged,
      indices,
      this.heads,
      Array.from(taskOfRow, (k) => this.taskIndex[k]!),
      withLabels ? (i) => this.mixture.tasks[taskOfRow[i]!]!.train : undefined,
      local,
      padding,
    );
  }

  /** What a resume must match: tasks, their sizes and heads, sampling and batching. */
  hashed(): Record<string, unknown> {
    return {
      tasks: this.mixture.tasks.map((t, k) => ({
        name: t.name,
        head: this.taskIndex[k],
        rows: this.sizes[k],
      })),
      heads: this.heads.map((h) => ({
        name: h.name,
        kind: h.kind,
        numLabels: h.numLabels,
        lossWeight: h.lossWeight,
      })),
      sampling: this.mixture.sampling ?? {},
      batching: this.mixture.batching ?? "per-task",
    };
  }
}

/**
 * Feeds of rows of one task's data set (`task_ids` all `taskIndex`), for evaluating or
 * predicting one task of a multi-task model.
 *
 * @example
 * ```ts
 * const batch = taskBatch(model.tasks, 1, rteDev, Int32Array.of(0, 1), "longest", true);
 * ```
 */
export function taskBatch(
  heads: readonly ResolvedTaskHead[],
  taskIndex: number,
  data: TrainerData,
  indices: Int32Array,
  padding: PaddingStrategy,
  withLabels: boolean,
): TrainerBatch {
  return collateTaskRows(
    data,
    indices,
    heads,
    Array.from(indices, () => taskIndex),
    withLabels ? () => data : undefined,
    indices,
    padding,
  );
}

function collateTaskRows(
  rowsData: TokenizedDataset,
  indices: Int32Array,
  heads: readonly ResolvedTaskHead[],
  headOfRow: readonly number[],
  labelData: ((row: number) => TrainerData) | undefined,
  localRows: Int32Array,
  padding: PaddingStrategy,
): TrainerBatch {
  const b = collateRows(rowsData, indices, padding);
  const n = indices.length;
  const s = b.inputIds.shape[1]!;
  const feeds: Record<string, HostTensor> = {
    [MULTI_TASK_INPUTS.inputIds]: b.inputIds,
    [MULTI_TASK_INPUTS.attentionMask]: b.attentionMask,
    [MULTI_TASK_INPUTS.tokenTypeIds]: b.tokenTypeIds,
    [MULTI_TASK_INPUTS.taskIds]: hostTensor("int32", [n], Int32Array.from(headOfRow)),
  };
  if (labelData !== undefined) {
    heads.forEach((h, t) => {
      const token = h.kind === "token-classification";
      const regression = h.kind === "regression";
      const values = token
        ? new Int32Array(n * s).fill(-100)
        : regression
          ? new Float32Array(n)
          : new Int32Array(n).fill(-100);
      for (let i = 0; i < n; i++) {
        if (headOfRow[i] !== t) continue;
        const d = labelData(i);
        const row = localRows[i]!;
        if (token ? d.tokenLabels === undefined : d.labels === undefined) {
          throw new TunekitError(
            "DATA_INVALID",
            `multi-task: task "${h.name}" data has no labels; training and evaluation need labeled rows (predict works without)`,
          );
        }
        if (token) {
          const tl = d.tokenLabels![row]!;
          (values as Int32Array).set(tl.subarray(0, Math.min(s, tl.length)), i * s);
        } else {
          values[i] = d.labels![row]!;
        }
      }
      feeds[MULTI_TASK_INPUTS.labels(t)] = token
        ? hostTensor("int32", [n, s], values as Int32Array)
        : regression
          ? hostTensor("float32", [n], values as Float32Array)
          : hostTensor("int32", [n], values as Int32Array);
    });
  }
  let tokens = 0;
  for (const len of b.lengths) tokens += len;
  return { feeds, indices, lengths: b.lengths, tokens };
}
