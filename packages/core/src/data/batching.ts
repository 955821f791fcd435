import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import type { Dataset } from "./dataset.js";
import { type PaddedBatch, type PaddingStrategy, padBatch, paddedLength } from "./padding.js";
import { mixSeeds, mulberry32, permutation, shuffleInPlace } from "./random.js";
import type { Tokenizer } from "./tokenizer.js";
import type { TruncationStrategy } from "./truncation.js";

/**
 * A data set tokenised once: per row, ids with special tokens (already truncated) and type ids.
 *
 * @example
 * ```ts
 * const tokenized = tokenizeDataset(train, tokenizer, { maxLength: 128 });
 * tokenized.lengths[0]; // tokens in row 0, specials included
 * ```
 */
export interface TokenizedDataset {
  readonly task: Dataset["task"];
  readonly ids: readonly Int32Array[];
  readonly tokenTypeIds: readonly Int32Array[];
  readonly lengths: Int32Array;
  readonly labels: Int32Array | Float32Array | undefined;
  readonly padId: number;
  readonly maxLength: number;
  /** Rows that lost tokens to truncation. */
  readonly numTruncated: number;
}

/**
 * Tokenises every row of `dataset` (text, or text pair) with truncation to `maxLength`.
 *
 * @example
 * ```ts
 * const tokenized = tokenizeDataset(ds.train!, tok, { maxLength: 128, truncation: "longest_first" });
 * ```
 */
export function tokenizeDataset(
  dataset: Dataset,
  tokenizer: Tokenizer,
  options: { readonly maxLength?: number; readonly truncation?: TruncationStrategy } = {},
): TokenizedDataset {
  const n = dataset.texts.length;
  const ids: Int32Array[] = new Array(n);
  const types: Int32Array[] = new Array(n);
  const lengths = new Int32Array(n);
  let numTruncated = 0;
  for (let i = 0; i < n; i++) {
    const e = tokenizer.encode(dataset.texts[i]!, dataset.textPairs?.[i], options);
    ids[i] = Int32Array.from(e.ids);
    types[i] = Int32Array.from(e.tokenTypeIds);
    lengths[i] = e.ids.length;
    if (e.truncated) numTruncated++;
  }
  return {
    task: dataset.task,
    ids,
    tokenTypeIds: types,
    lengths,
    labels: dataset.labels,
    padId: tokenizer.padId,
    maxLength: options.maxLength ?? tokenizer.modelMaxLength ?? Number.POSITIVE_INFINITY,
    numTruncated,
  };
}

/**
 * How rows are grouped into batches.
 *
 * @example
 * ```ts
 * const plan: BatchPlanOptions = { batchSize: 32, seed: 42, epoch: 0, bucketing: { windowBatches: 50 } };
 * ```
 */
export interface BatchPlanOptions {
  readonly batchSize: number;
  /** Shuffle rows (and batch order) with a seeded PRNG. Default `true`. */
  readonly shuffle?: boolean;
  /** Default 0. */
  readonly seed?: number;
  /** Mixed into the seed so each epoch has its own order. Default 0. */
  readonly epoch?: number;
  /** `keep` (default) yields a final smaller batch; `drop` leaves those rows out for this epoch. */
  readonly lastBatch?: "keep" | "drop";
  /**
   * Length bucketing: within windows of `windowBatches * batchSize` shuffled rows, sort by length
   * so each batch holds rows of similar length (less padding). Default: off.
   */
  readonly bucketing?: { readonly windowBatches?: number } | false;
}

/**
 * Row indices of each batch for one epoch. Deterministic for the same lengths and options.
 *
 * @example
 * ```ts
 * planBatches([5, 3, 9, 4], { batchSize: 2, shuffle: false }); // [Int32Array [0, 1], Int32Array [2, 3]]
 * ```
 */
export function planBatches(lengths: ArrayLike<number>, options: BatchPlanOptions): Int32Array[] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `batchSize must be a positive integer, got ${String(batchSize)}`,
    );
  }
  const n = lengths.length;
  const shuffle = options.shuffle ?? true;
  const rng = mulberry32(mixSeeds(options.seed ?? 0, options.epoch ?? 0));
  const order = shuffle ? permutation(n, rng) : Int32Array.from({ length: n }, (_, i) => i);
  const bucketing =
    options.bucketing === undefined || options.bucketing === false ? undefined : options.bucketing;
  if (bucketing !== undefined) {
    const windowBatches = bucketing.windowBatches ?? 50;
    if (!Number.isInteger(windowBatches) || windowBatches <= 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `bucketing.windowBatches must be a positive integer, got ${windowBatches}`,
      );
    }
    const window = windowBatches * batchSize;
    for (let start = 0; start < n; start += window) {
      // Stable sort by length (ties keep the shuffled order).
      const slice = Array.from(order.subarray(start, Math.min(n, start + window)));
      slice.sort((a, b) => lengths[a]! - lengths[b]! || 0);
      order.set(slice, start);
    }
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize)
    batches.push(order.slice(start, Math.min(n, start + batchSize)));
  if (
    (options.lastBatch ?? "keep") === "drop" &&
    batches.length > 0 &&
    batches[batches.length - 1]!.length < batchSize
  ) {
    batches.pop();
  }
  if (shuffle && bucketing !== undefined) shuffleInPlace(batches, rng);
  return batches;
}

/**
 * A training batch: padded `int32 [B, S]` inputs, labels (`int32 [B]` for classification,
 * `float32 [B]` for regression, `undefined` when unlabeled) and the row indices it holds.
 *
 * @example
 * ```ts
 * for (const b of iterateBatches(tokenized, { batchSize: 32 })) step(b.inputIds, b.labels);
 * ```
 */
export interface Batch extends PaddedBatch {
  readonly labels: HostTensor<"int32"> | HostTensor<"float32"> | undefined;
  readonly indices: Int32Array;
}

/**
 * Yields the batches of one epoch, padded per `padding` (default `longest`; use
 * `{ buckets: [...] }` with bucketing so few distinct shapes appear).
 *
 * @example
 * ```ts
 * const batches = iterateBatches(tokenized, {
 *   batchSize: 32, seed: 42, epoch, bucketing: { windowBatches: 50 }, padding: { buckets: [32, 64, 128] },
 * });
 * ```
 */
export function* iterateBatches(
  data: TokenizedDataset,
  options: BatchPlanOptions & { readonly padding?: PaddingStrategy },
): Generator<Batch> {
  for (const indices of planBatches(data.lengths, options))
    yield collateRows(data, indices, options.padding ?? "longest");
}

/**
 * Pads the rows at `indices` into one {@link Batch}.
 *
 * @example
 * ```ts
 * const batch = collateRows(tokenized, Int32Array.of(0, 1, 2), "longest");
 * ```
 */
export function collateRows(data: TokenizedDataset, indices: Int32Array, padding: PaddingStrategy): Batch {
  let longest = 0;
  const rows = Array.from(indices, (i) => {
    const ids = data.ids[i];
    if (ids === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `collateRows: row ${i} is out of range (0..${data.ids.length - 1})`,
      );
    }
    longest = Math.max(longest, ids.length);
    return { ids, tokenTypeIds: data.tokenTypeIds[i]! };
  });
  const padded = padBatch(rows, paddedLength(longest, padding, data.maxLength), data.padId);
  let labels: Batch["labels"];
  if (data.labels instanceof Float32Array) {
    labels = hostTensor(
      "float32",
      [indices.length],
      Float32Array.from(indices, (i) => data.labels![i]!),
    );
  } else if (data.labels instanceof Int32Array) {
    labels = hostTensor(
      "int32",
      [indices.length],
      Int32Array.from(indices, (i) => data.labels![i]!),
    );
  }
  return { ...padded, labels, indices };
}
