import { TunekitError } from "../errors.js";

/**
 * A seeded pseudo-random generator: each call returns a float in `[0, 1)`.
 *
 * @example
 * ```ts
 * const rng: Rng = mulberry32(42);
 * rng(); // 0.6011037519201636
 * ```
 */
export type Rng = () => number;

/**
 * Mulberry32, a tiny 32-bit-state PRNG (good enough for shuffling and splits, not for
 * cryptography). Same seed, same sequence, on every platform.
 *
 * @example
 * ```ts
 * const rng = mulberry32(7);
 * const coin = rng() < 0.5;
 * ```
 */
export function mulberry32(seed: number): Rng {
  checkSeed(seed, "mulberry32");
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes several integers (a seed, an epoch, a stream id) into one 32-bit seed, so that
 * related streams do not start from correlated states.
 *
 * @example
 * ```ts
 * const rng = mulberry32(mixSeeds(42, epoch));
 * ```
 */
export function mixSeeds(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    checkSeed(p, "mixSeeds");
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/**
 * Uniform integer in `[0, n)` drawn from `rng`.
 *
 * @example
 * ```ts
 * const i = randomInt(mulberry32(1), 10); // 0..9
 * ```
 */
export function randomInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/**
 * Shuffles `values` in place (Fisher-Yates) with `rng` and returns it.
 *
 * @example
 * ```ts
 * shuffleInPlace([1, 2, 3, 4], mulberry32(3));
 * ```
 */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(values: T, rng: Rng): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
  return values;
}

/**
 * A seeded random permutation of `0..n-1`.
 *
 * @example
 * ```ts
 * const order = permutation(5, mulberry32(42)); // e.g. Int32Array [3, 0, 4, 1, 2]
 * ```
 */
export function permutation(n: number, rng: Rng): Int32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new TunekitError("INVALID_ARGUMENT", `permutation: n must be a non-negative integer, got ${n}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return shuffleInPlace(out, rng);
}

function checkSeed(seed: number, where: string): void {
  if (!Number.isInteger(seed)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${where}: seed must be an integer, got ${String(seed)}; pass e.g. 42`,
    );
  }
}
