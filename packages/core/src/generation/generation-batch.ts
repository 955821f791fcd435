import { TunekitError } from "../errors.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";

/**
 * Which side of a batch of prompts the padding goes: `"left"` (every prompt ends at the same
 * slot, generated tokens follow in the same column for every row) or `"right"` (every prompt
 * starts at slot 0, each row continues right after its own prompt). Both give the same
 * tokens: position ids count each row's real tokens, and padding is masked.
 *
 * @example
 * ```ts
 * await generate(model, backend, prompts, { paddingSide: "right" });
 * ```
 */
export type PaddingSide = "left" | "right";

/**
 * The host side of a batch being generated: every row is a fixed number of `capacity` slots
 * holding its tokens in time order (the prompt padded left or right inside the first
 * `promptLength` slots — the longest prompt's length —, then one slot per new token), which slots are filled, and the
 * position id of each filled slot. Graph feeds (ids, masks, position ids, the logit index,
 * the cache write slot) are read from it.
 *
 * @example
 * ```ts
 * const batch = new GenerationBatch([[5, 6, 7], [8]], { promptLength: 8, capacity: 16, padTokenId: 0, paddingSide: "left" });
 * batch.append([9, 10]); // one new token per row
 * ```
 */
export class GenerationBatch {
  readonly rows: number;
  readonly promptLength: number;
  readonly capacity: number;
  /** Token of each slot, `[rows, capacity]` (the pad id in empty slots). */
  readonly tokens: Int32Array;
  /** 1 where a slot holds a token, `[rows, capacity]`. */
  readonly filled: Int32Array;
  /** Position id of each slot, `[rows, capacity]` (0 in empty slots). */
  readonly positions: Int32Array;
  /** The slot of each row's latest token. */
  readonly last: Int32Array;
  private readonly padTokenId: number;

  constructor(
    prompts: readonly (readonly number[])[],
    options: { promptLength: number; capacity: number; padTokenId: number; paddingSide: PaddingSide },
  ) {
    const { promptLength, capacity, padTokenId, paddingSide } = options;
    this.rows = prompts.length;
    this.promptLength = promptLength;
    this.capacity = capacity;
    this.padTokenId = padTokenId;
    this.tokens = new Int32Array(this.rows * capacity).fill(padTokenId);
    this.filled = new Int32Array(this.rows * capacity);
    this.positions = new Int32Array(this.rows * capacity);
    this.last = new Int32Array(this.rows);
    prompts.forEach((prompt, b) => {
      if (prompt.length === 0 || prompt.length > promptLength) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `GenerationBatch: prompt ${b} has ${prompt.length} tokens; every prompt needs 1 to ${promptLength}`,
        );
      }
      const start = paddingSide === "left" ? promptLength - prompt.length : 0;
      for (const [i, id] of prompt.entries()) this.set(b, start + i, id, i);
    });
  }

  private set(row: number, slot: number, id: number, position: number): void {
    const at = row * this.capacity + slot;
    this.tokens[at] = id;
    this.filled[at] = 1;
    this.positions[at] = position;
    this.last[row] = slot;
  }

  /** Whether another token per row fits in the capacity. */
  get hasRoom(): boolean {
    return this.last.every((s) => s + 1 < this.capacity);
  }

  /** Writes one new token per row into the slot after its latest one. */
  append(ids: readonly number[]): void {
    if (ids.length !== this.rows || !this.hasRoom) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `GenerationBatch.append: needs ${this.rows} ids and a free slot per row (capacity ${this.capacity}); got ${ids.length} ids`,
      );
    }
    for (let b = 0; b < this.rows; b++) {
      const slot = this.last[b]! + 1;
      this.set(b, slot, ids[b]!, this.positions[b * this.capacity + slot - 1]! + 1);
    }
  }

  /** Feeds of a whole-sequence forward over the first `length` slots (a prefill, or a full recompute). */
  sequenceFeeds(length: number): Record<string, HostTensor> {
    const b = this.rows;
    const cut = (src: Int32Array): Int32Array => {
      const out = new Int32Array(b * length);
      for (let r = 0; r < b; r++)
        out.set(src.subarray(r * this.capacity, r * this.capacity + length), r * length);
      return out;
    };
    return {
      input_ids: hostTensor("int32", [b, length], cut(this.tokens)),
      attention_mask: hostTensor("int32", [b, length], cut(this.filled)),
      position_ids: hostTensor("int32", [b, length], cut(this.positions)),
      logit_index: hostTensor("int32", [b], Int32Array.from(this.last)),
    };
  }

  /**
   * Feeds of a cached decode step for each row's latest token: its id, position and slot
   * (`cache_position`), and the slots it may attend to (`cache_mask`: filled ones, within
   * `slidingWindow` positions when given).
   */
  decodeFeeds(slidingWindow?: number): Record<string, HostTensor> {
    const b = this.rows;
    const c = this.capacity;
    const ids = new Int32Array(b);
    const pos = new Int32Array(b);
    const mask = new Int32Array(b * c);
    for (let r = 0; r < b; r++) {
      const at = r * c + this.last[r]!;
      ids[r] = this.tokens[at]!;
      pos[r] = this.positions[at]!;
      for (let s = 0; s <= this.last[r]!; s++) {
        const ok =
          this.filled[r * c + s] === 1 &&
          (slidingWindow === undefined || pos[r]! - this.positions[r * c + s]! < slidingWindow);
        mask[r * c + s] = ok ? 1 : 0;
      }
    }
    return {
      input_ids: hostTensor("int32", [b, 1], ids),
      position_ids: hostTensor("int32", [b, 1], pos),
      logit_index: hostTensor("int32", [b], new Int32Array(b)),
      cache_position: hostTensor("int32", [b], Int32Array.from(this.last)),
      cache_mask: hostTensor("int32", [b, c], mask),
    };
  }

  /** The pad id written for rows that have already stopped. */
  get padId(): number {
    return this.padTokenId;
  }
}
