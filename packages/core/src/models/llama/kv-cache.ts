import { TunekitError } from "../../errors.js";
import type { Tensor } from "../../ir/graph.js";
import { add, cast, mul, oneHot, pad, reshape, sub } from "../../ir/ops.js";
import { FLOAT32_MIN } from "../bert/bert-model.js";

/**
 * The keys and values of one decoder layer in a static-shape cache, float32
 * `[batch, kvHeads, capacity, headDim]` each.
 *
 * @example
 * ```ts
 * const layer: KvCacheLayer = { keys: g.input("past.0.key", "float32", [2, 2, 32, 8]), values };
 * ```
 */
export interface KvCacheLayer {
  readonly keys: Tensor;
  readonly values: Tensor;
}

/**
 * A key/value cache with static shapes, traced into a decoder's graph. Its capacity is fixed,
 * so a prefill graph (per prompt length) and one decode graph serve a whole generation:
 *
 * - **prefill** (`past` omitted): the layers attend over the prompt's own keys and values as
 *   usual; `present` holds them zero-padded to `capacity` slots (slots `0 .. S-1`).
 * - **decode** (`past` given, one new token per row): the new key and value of row `b` are
 *   written into slot `writeIndex[b]` (a one-hot blend, no scatter), and the token attends
 *   over all `capacity` slots where `slotMask [B, capacity]` is 1 (the host marks the written
 *   slots, the new one included).
 *
 * Each layer calls {@link StaticKvCache.update}; after the forward, `present` holds the new
 * cache tensors, which the host feeds back as the next step's `past`.
 *
 * @example
 * ```ts
 * const cache = StaticKvCache.decode(past, writeIndex, slotMask); // past: one KvCacheLayer per layer
 * const logits = model.forwardGeneration({ inputIds, positionIds, cache });
 * cache.present.forEach((l, i) => { g.output(`present.${i}.key`, l.keys); g.output(`present.${i}.value`, l.values); });
 * ```
 */
export class StaticKvCache {
  readonly capacity: number;
  readonly past: readonly KvCacheLayer[] | undefined;
  readonly writeIndex: Tensor | undefined;
  readonly slotMask: Tensor | undefined;
  readonly present: KvCacheLayer[] = [];

  private constructor(
    capacity: number,
    past?: readonly KvCacheLayer[],
    writeIndex?: Tensor,
    slotMask?: Tensor,
  ) {
    this.capacity = capacity;
    this.past = past;
    this.writeIndex = writeIndex;
    this.slotMask = slotMask;
  }

  /** A prefill cache: the prompt's keys and values, zero-padded to `capacity` slots. */
  static prefill(capacity: number): StaticKvCache {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `StaticKvCache.prefill: capacity must be a positive integer, got ${capacity}`,
      );
    }
    return new StaticKvCache(capacity);
  }

  /**
   * A decode cache over `past` (one {@link KvCacheLayer} per decoder layer, all of the same
   * shape), writing each row's new token into slot `writeIndex` (int32 `[B]`) and attending over
   * the slots where `slotMask` (int32 `[B, capacity]`) is 1.
   */
  static decode(past: readonly KvCacheLayer[], writeIndex: Tensor, slotMask: Tensor): StaticKvCache {
    const first = past[0];
    if (first === undefined || first.keys.rank !== 4) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `StaticKvCache.decode: past must hold one { keys, values } [batch, kvHeads, capacity, headDim] per layer, got ${
          first ? `keys [${first.keys.shape.join(", ")}]` : "no layers"
        }`,
      );
    }
    const [b, , capacity] = first.keys.shape as [number, number, number, number];
    const shapeOk = (t: Tensor, dtype: string, shape: readonly number[]): boolean =>
      t.dtype === dtype && t.rank === shape.length && shape.every((d, i) => t.shape[i] === d);
    for (const [i, l] of past.entries()) {
      if (!shapeOk(l.keys, "float32", first.keys.shape) || !shapeOk(l.values, "float32", first.keys.shape)) {
        throw new TunekitError(
          "SHAPE_MISMATCH",
          `StaticKvCache.decode: layer ${i} keys/values must be float32 [${first.keys.shape.join(", ")}] like layer 0, ` +
            `got ${l.keys.dtype}[${l.keys.shape.join(", ")}] / ${l.values.dtype}[${l.values.shape.join(", ")}]`,
        );
      }
    }
    if (!shapeOk(writeIndex, "int32", [b]) || !shapeOk(slotMask, "int32", [b, capacity])) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `StaticKvCache.decode: write index must be int32 [${b}] and slot mask int32 [${b}, ${capacity}], got ` +
          `${writeIndex.dtype}[${writeIndex.shape.join(", ")}] and ${slotMask.dtype}[${slotMask.shape.join(", ")}]`,
      );
    }
    return new StaticKvCache(capacity, past, writeIndex, slotMask);
  }

  /** Whether this cache decodes over past slots (false: a prefill). */
  get decoding(): boolean {
    return this.past !== undefined;
  }

  /**
   * The additive attention bias of a decode step, `[B, 1, 1, capacity]`: 0 on the slots the
   * mask marks, float32 min elsewhere.
   */
  decodeBias(): Tensor {
    const mask = this.slotMask;
    if (mask === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        "StaticKvCache.decodeBias: a prefill cache has no slot mask",
      );
    }
    const b = mask.shape[0]!;
    return mul(sub(1, reshape(cast(mask, "float32"), [b, 1, 1, this.capacity])), FLOAT32_MIN);
  }

  /**
   * Records layer `layer`'s new keys and values (`[B, kvHeads, S, headDim]`, rotary already
   * applied) and returns what the layer attends over: the new ones in a prefill, the whole
   * updated cache in a decode step.
   */
  update(layer: number, keys: Tensor, values: Tensor): KvCacheLayer {
    if (layer !== this.present.length) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `StaticKvCache.update: layers must update in order; expected layer ${this.present.length}, got ${layer}`,
      );
    }
    const [b, kv, s, d] = keys.shape as [number, number, number, number];
    if (!this.decoding) {
      if (s > this.capacity) {
        throw new TunekitError(
          "SHAPE_MISMATCH",
          `StaticKvCache.update: a prompt of ${s} tokens does not fit a cache of ${this.capacity} slots; raise the capacity`,
        );
      }
      const grow = (t: Tensor): Tensor => pad(t, [0, 0, 0, 0], [0, 0, this.capacity - s, 0]);
      this.present.push({ keys: grow(keys), values: grow(values) });
      return { keys, values };
    }
    const past = this.past![layer];
    if (
      past === undefined ||
      s !== 1 ||
      past.keys.shape[0] !== b ||
      past.keys.shape[1] !== kv ||
      past.keys.shape[3] !== d
    ) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `StaticKvCache.update: a decode step writes one token per row into layer ${layer}'s cache; got keys ` +
          `[${keys.shape.join(", ")}] for ${past ? `a cache [${past.keys.shape.join(", ")}]` : "a layer the cache does not have"}`,
      );
    }
    const slot = reshape(oneHot(this.writeIndex!, this.capacity), [b, 1, this.capacity, 1]);
    const keep = sub(1, slot);
    const write = (old: Tensor, fresh: Tensor): Tensor => add(mul(old, keep), mul(fresh, slot));
    const updated = { keys: write(past.keys, keys), values: write(past.values, values) };
    this.present.push(updated);
    return updated;
  }
}
