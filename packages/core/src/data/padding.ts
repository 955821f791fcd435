import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";

/**
 * Padded length of a batch: `longest` (longest row), `max_length` (always `maxLength`), or
 * `{ buckets }`: the smallest bucket boundary that fits the longest row, so that only a few
 * distinct shapes appear (`maxLength`, when finite, is always an implicit last bucket).
 *
 * @example
 * ```ts
 * const p: PaddingStrategy = { buckets: [32, 64, 128] };
 * ```
 */
export type PaddingStrategy = "longest" | "max_length" | { readonly buckets: readonly number[] };

/**
 * One encoded row: token ids with special tokens, and their token type ids.
 *
 * @example
 * ```ts
 * const row: EncodedRow = { ids: [101, 7592, 102], tokenTypeIds: [0, 0, 0] };
 * ```
 */
export interface EncodedRow {
  readonly ids: ArrayLike<number>;
  readonly tokenTypeIds: ArrayLike<number>;
}

/**
 * A right-padded batch of encoded rows, all `int32 [B, S]`.
 *
 * @example
 * ```ts
 * const { inputIds, attentionMask } = padBatch(rows, 8, 0);
 * ```
 */
export interface PaddedBatch {
  readonly inputIds: HostTensor<"int32">;
  /** 1 on real tokens, 0 on padding. */
  readonly attentionMask: HostTensor<"int32">;
  /** 0 for the first segment, 1 for the second (per the tokenizer's template); 0 on padding. */
  readonly tokenTypeIds: HostTensor<"int32">;
  /** Unpadded length of each row. */
  readonly lengths: Int32Array;
}

/**
 * The padded length `S` for a batch whose longest row has `longest` tokens.
 *
 * @example
 * ```ts
 * paddedLength(40, { buckets: [32, 64] }, 128); // 64
 * ```
 */
export function paddedLength(longest: number, padding: PaddingStrategy, maxLength: number): number {
  if (padding === "longest") return longest;
  if (padding === "max_length") {
    if (!Number.isFinite(maxLength)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        "padding 'max_length' needs a finite maxLength; pass maxLength or use padding 'longest'",
      );
    }
    return Math.max(maxLength, longest);
  }
  if (typeof padding === "object" && padding !== null && Array.isArray(padding.buckets)) {
    const buckets = effectiveBuckets(padding.buckets, maxLength);
    for (const b of buckets) if (b >= longest) return b;
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `padding buckets [${padding.buckets.join(", ")}] are all shorter than a row of ${longest} tokens; ` +
        "add a larger bucket or set maxLength so rows are truncated",
    );
  }
  throw new TunekitError(
    "INVALID_ARGUMENT",
    `unknown padding ${JSON.stringify(padding)}; expected 'longest', 'max_length' or { buckets: number[] }`,
  );
}

/**
 * Sorted, de-duplicated bucket boundaries not above `maxLength`, with `maxLength` (when
 * finite) appended as the last bucket.
 *
 * @example
 * ```ts
 * effectiveBuckets([64, 32, 256], 128); // [32, 64, 128]
 * ```
 */
export function effectiveBuckets(buckets: readonly number[], maxLength: number): number[] {
  for (const b of buckets) {
    if (!Number.isInteger(b) || b <= 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `padding bucket ${String(b)} is not a positive integer; buckets must be like [32, 64, 128]`,
      );
    }
  }
  const kept = [...new Set(buckets)].filter((b) => b <= maxLength).sort((x, y) => x - y);
  if (Number.isFinite(maxLength) && kept[kept.length - 1] !== maxLength) kept.push(maxLength);
  return kept;
}

/**
 * Right-pads rows to `padTo` with `padId` into `int32 [B, padTo]` tensors.
 *
 * @example
 * ```ts
 * const batch = padBatch([{ ids: [101, 102], tokenTypeIds: [0, 0] }], 4, 0);
 * // batch.inputIds.data: [101, 102, 0, 0]; batch.attentionMask.data: [1, 1, 0, 0]
 * ```
 */
export function padBatch(rows: readonly EncodedRow[], padTo: number, padId: number): PaddedBatch {
  const batch = rows.length;
  const ids = new Int32Array(batch * padTo);
  const mask = new Int32Array(batch * padTo);
  const types = new Int32Array(batch * padTo);
  const lengths = new Int32Array(batch);
  if (padId !== 0) ids.fill(padId);
  for (let r = 0; r < batch; r++) {
    const row = rows[r]!;
    const n = row.ids.length;
    if (n > padTo) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `padBatch: row ${r} has ${n} tokens but the padded length is ${padTo}; truncate first`,
      );
    }
    lengths[r] = n;
    const base = r * padTo;
    for (let i = 0; i < n; i++) {
      ids[base + i] = row.ids[i]!;
      types[base + i] = row.tokenTypeIds[i]!;
      mask[base + i] = 1;
    }
  }
  const shape = [batch, padTo];
  return {
    inputIds: hostTensor("int32", shape, ids),
    attentionMask: hostTensor("int32", shape, mask),
    tokenTypeIds: hostTensor("int32", shape, types),
    lengths,
  };
}
