import { TunekitError } from "../../errors.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import type { CausalLmData } from "./causal-lm-tokenize.js";

/**
 * Packed causal-LM rows: several examples per row, with `segmentIds` (per token, 1 for the
 * row's first example, 2 for the second, ...). The Trainer feeds such rows with per-example
 * `position_ids` (restarting at 0) and a block-diagonal `[B, S, S]` attention mask
 * ({@link packedAttentionFeeds}), so no example attends to another; the first token of every
 * example is unlabelled, so no example predicts the next one.
 *
 * @example
 * ```ts
 * const packed = packCausalLm(tokenizeCausalLm(examples, tok, { maxLength: 256 }), { maxLength: 256 });
 * await trainer.fit(packed);
 * ```
 */
export type PackedCausalLmData = CausalLmData & { readonly segmentIds: readonly Int32Array[] };

/**
 * Packs tokenised causal-LM rows into rows of at most `maxLength` tokens, in order (an
 * example goes into the current row while it fits, else starts the next one), so a packed
 * data set is a pure function of its input. Every row of `data` must fit in `maxLength`.
 *
 * @example
 * ```ts
 * const packed = packCausalLm(data, { maxLength: 512 }); // fewer, fuller rows
 * ```
 */
export function packCausalLm(
  data: CausalLmData,
  options: { readonly maxLength: number },
): PackedCausalLmData {
  const maxLength = options.maxLength;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `packCausalLm: maxLength must be an integer of at least 2, got ${String(maxLength)}`,
    );
  }
  const rows: { ids: number[]; labels: number[]; segments: number[] }[] = [];
  let current: { ids: number[]; labels: number[]; segments: number[] } | undefined;
  let numLossTokens = 0;
  data.ids.forEach((ids, i) => {
    if (ids.length > maxLength) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `packCausalLm: row ${i} has ${ids.length} tokens, more than maxLength ${maxLength}; ` +
          "tokenize with the same maxLength (tokenizeCausalLm truncates) or raise it",
      );
    }
    if (current === undefined || current.ids.length + ids.length > maxLength) {
      current = { ids: [], labels: [], segments: [] };
      rows.push(current);
    }
    const segment = (current.segments.at(-1) ?? 0) + 1;
    const labels = data.tokenLabels[i]!;
    for (let t = 0; t < ids.length; t++) {
      const label = t === 0 ? -100 : labels[t]!;
      if (label !== -100) numLossTokens++;
      current.ids.push(ids[t]!);
      current.labels.push(label);
      current.segments.push(segment);
    }
  });
  const ids = rows.map((r) => Int32Array.from(r.ids));
  return {
    ...data,
    ids,
    tokenTypeIds: ids.map((r) => new Int32Array(r.length)),
    lengths: Int32Array.from(ids, (r) => r.length),
    maxLength,
    tokenLabels: rows.map((r) => Int32Array.from(r.labels)),
    segmentIds: rows.map((r) => Int32Array.from(r.segments)),
    numLossTokens,
  };
}

/**
 * The feeds of packed rows padded to `seqLength`: int32 `position_ids [B, S]` restarting at
 * 0 for every example (0 on padding) and the int32 block-diagonal `attention_mask [B, S, S]`
 * (1 where query and key belong to the same example; padding sees nothing and is seen by
 * nothing). The model combines the mask with its causal mask.
 *
 * @example
 * ```ts
 * const { position_ids, attention_mask } = packedAttentionFeeds(packed.segmentIds, Int32Array.of(0, 1), 16);
 * ```
 */
export function packedAttentionFeeds(
  segmentIds: readonly Int32Array[],
  indices: Int32Array,
  seqLength: number,
): { position_ids: HostTensor; attention_mask: HostTensor } {
  const b = indices.length;
  const s = seqLength;
  const positions = new Int32Array(b * s);
  const mask = new Int32Array(b * s * s);
  indices.forEach((row, r) => {
    const seg = segmentIds[row]!;
    const n = Math.min(seg.length, s);
    let start = 0;
    for (let t = 0; t < n; t++) {
      if (t > 0 && seg[t] !== seg[t - 1]) start = t;
      positions[r * s + t] = t - start;
      for (let k = start; k < n && seg[k] === seg[t]; k++) mask[(r * s + t) * s + k] = 1;
    }
  });
  return {
    position_ids: hostTensor("int32", [b, s], positions),
    attention_mask: hostTensor("int32", [b, s, s], mask),
  };
}
