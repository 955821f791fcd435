import { balancedEpochRows } from "../data/balanced-sampling.js";
import { collateRows, planBatches } from "../data/batching.js";
import { packedAttentionFeeds } from "../data/causal-lm/causal-lm-packing.js";
import type { PaddingStrategy } from "../data/padding.js";
import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import { BATCH_INPUTS, type TrainerData } from "./trainer-model.js";
import { invalidOption } from "./trainer-options.js";

/**
 * One batch as the step graphs take it (Hugging Face input names) plus the rows it holds
 * and the number of real (unpadded) tokens.
 *
 * @example
 * ```ts
 * const { feeds, indices, tokens } = trainerBatch(data, Int32Array.of(0, 1), "longest", true);
 * ```
 */
export interface TrainerBatch {
  readonly feeds: Record<string, HostTensor>;
  readonly indices: Int32Array;
  readonly lengths: Int32Array;
  readonly tokens: number;
}

/**
 * Pads the rows at `indices` into step-graph feeds; `withLabels` adds `labels` (int32 `[B]`,
 * float32 `[B]` for regression, or int32 `[B, S]` token labels padded with -100). Packed rows
 * (`segmentIds`) get `position_ids` and a `[B, S, S]` `attention_mask`.
 *
 * @example
 * ```ts
 * const batch = trainerBatch(data, Int32Array.of(3, 7), { buckets: [16, 32] }, true);
 * ```
 */
export function trainerBatch(
  data: TrainerData,
  indices: Int32Array,
  padding: PaddingStrategy,
  withLabels: boolean,
): TrainerBatch {
  const b = collateRows(data, indices, padding);
  const feeds: Record<string, HostTensor> = {
    [BATCH_INPUTS.inputIds]: b.inputIds,
    [BATCH_INPUTS.attentionMask]: b.attentionMask,
    [BATCH_INPUTS.tokenTypeIds]: b.tokenTypeIds,
  };
  // packed rows: per-example positions and a block-diagonal mask instead of the padding mask
  if (data.segmentIds !== undefined) {
    Object.assign(feeds, packedAttentionFeeds(data.segmentIds, indices, b.inputIds.shape[1]!));
  }
  if (withLabels) {
    if (data.tokenLabels !== undefined) {
      const s = b.inputIds.shape[1]!;
      const labels = new Int32Array(indices.length * s).fill(-100);
      indices.forEach((row, i) => {
        const t = data.tokenLabels![row]!;
        labels.set(t.subarray(0, Math.min(s, t.length)), i * s);
      });
      feeds[BATCH_INPUTS.labels] = hostTensor("int32", [indices.length, s], labels);
    } else if (b.labels !== undefined) {
      feeds[BATCH_INPUTS.labels] = b.labels;
    } else {
      throw new TunekitError(
        "DATA_INVALID",
        "Trainer: the data has no labels; training and evaluate need a labeled split (predict works without)",
      );
    }
  }
  let tokens = 0;
  for (const n of b.lengths) tokens += n;
  return { feeds, indices, lengths: b.lengths, tokens };
}

/**
 * Checks that token labels (when present) match the rows: one array per row, each as long
 * as the row's ids.
 *
 * @example
 * ```ts
 * checkTrainerData(data, "train");
 * ```
 */
export function checkTrainerData(data: TrainerData, name: string): void {
  if (data === undefined || data.lengths === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `Trainer: ${name} data is ${String(data)}; expected a TokenizedDataset (tokenizeDataset(split, tokenizer))`,
    );
  }
  if (data.lengths.length === 0) {
    throw new TunekitError("DATA_INVALID", `Trainer: ${name} data has no rows`);
  }
  if (data.task === "regression" && data.labels !== undefined) checkRegressionTargets(data.labels, name);
  const seg = data.segmentIds;
  if (
    seg !== undefined &&
    (seg.length !== data.ids.length || seg.some((r, i) => r.length !== data.ids[i]!.length))
  ) {
    throw new TunekitError(
      "DATA_INVALID",
      `Trainer: ${name} segmentIds must hold one array per row, each as long as the row's ids (packCausalLm builds them)`,
    );
  }
  const t = data.tokenLabels;
  if (t === undefined) return;
  if (t.length !== data.ids.length) {
    throw new TunekitError(
      "DATA_INVALID",
      `Trainer: ${name} tokenLabels has ${t.length} rows, expected ${data.ids.length} (one per row)`,
    );
  }
  for (let i = 0; i < t.length; i++) {
    if (t[i]!.length !== data.ids[i]!.length) {
      throw new TunekitError(
        "DATA_INVALID",
        `Trainer: ${name} tokenLabels[${i}] has ${t[i]!.length} labels, expected ${data.ids[i]!.length} (one per token, -100 for none)`,
      );
    }
  }
}

/**
 * Largest regression target magnitude the Trainer accepts: a squared error of such targets
 * already overflows the loss scale of float32 training and diverges.
 *
 * @example
 * ```ts
 * if (Math.abs(y) > REGRESSION_TARGET_LIMIT) console.warn("scale the targets");
 * ```
 */
export const REGRESSION_TARGET_LIMIT = 1e6;

/**
 * Throws `DATA_INVALID` for a regression target that is NaN, ±Infinity (e.g. `1e39`, beyond
 * float32) or larger in magnitude than {@link REGRESSION_TARGET_LIMIT}, naming the row and
 * the value, instead of a divergence blamed on the learning rate later.
 *
 * @example
 * ```ts
 * checkRegressionTargets(Float32Array.of(0.5, 4.2), "train");
 * ```
 */
export function checkRegressionTargets(labels: ArrayLike<number>, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (Number.isFinite(y) && Math.abs(y) <= REGRESSION_TARGET_LIMIT) continue;
    throw new TunekitError(
      "DATA_INVALID",
      `Trainer: ${name} row ${i} has the regression target ${y}; expected a finite number within ±${REGRESSION_TARGET_LIMIT} ` +
        "(values beyond 3.4e38 become Infinity in float32). Fix or drop that row, or scale the targets (e.g. to 0..5)",
      { details: { split: name, row: i, value: String(y) } },
    );
  }
}

/**
 * Batch order of one training epoch (row indices per micro-batch), a pure function of
 * the seed and the epoch so a resumed run sees the same order. `sampling: "balanced"`
 * oversamples every class to the largest one first ({@link balancedEpochRows}).
 *
 * @example
 * ```ts
 * const batches = epochBatches(data, { batchSize: 8, seed: 42, epoch: 0, lastBatch: "keep", bucketing: false });
 * ```
 */
export function epochBatches(
  data: TrainerData,
  o: {
    readonly batchSize: number;
    readonly seed: number;
    readonly epoch: number;
    readonly lastBatch: "keep" | "drop";
    readonly bucketing: { readonly windowBatches?: number } | false;
    readonly sampling?: "shuffle" | "balanced";
  },
): Int32Array[] {
  const plan = {
    batchSize: o.batchSize,
    seed: o.seed,
    epoch: o.epoch,
    shuffle: true,
    lastBatch: o.lastBatch,
    bucketing: o.bucketing,
  };
  if (o.sampling !== "balanced") return planBatches(data.lengths, plan);
  if (!(data.labels instanceof Int32Array) || data.tokenLabels !== undefined) {
    invalidOption(
      "sampling",
      "balanced",
      '"shuffle" for this data: balanced sampling needs sequence classification labels (not regression or token classification)',
    );
  }
  const rows = balancedEpochRows(data.labels, o.seed, o.epoch);
  const lengths = Int32Array.from(rows, (i) => data.lengths[i]!);
  return planBatches(lengths, plan).map((b) => b.map((j) => rows[j]!));
}

/**
 * Batches of `evaluate` / `predict`: rows in order, sorted by length within windows when
 * `bucketing` is on (fewer padded tokens), never shuffled.
 *
 * @example
 * ```ts
 * const batches = evalBatches(data, 32, false);
 * ```
 */
export function evalBatches(
  data: TrainerData,
  batchSize: number,
  bucketing: { readonly windowBatches?: number } | false,
): Int32Array[] {
  return planBatches(data.lengths, { batchSize, shuffle: false, bucketing });
}
