import { TunekitError } from "../errors.js";
import { mixSeeds, mulberry32, permutation } from "./random.js";

/**
 * Row indices of a seeded holdout split, each list in ascending (file) order.
 *
 * @example
 * ```ts
 * const { train, validation } = holdoutIndices(100, { validation: 0.1, seed: 42 }); // 90 / 10 rows
 * ```
 */
export interface HoldoutIndices {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/**
 * Deterministically splits `0..n-1` into train / validation / test: a seeded permutation, the
 * first `round(validation * n)` rows go to validation, the next `round(test * n)` to test.
 * Same `n` and seed, same split, on every platform.
 *
 * @example
 * ```ts
 * holdoutIndices(10, { validation: 0.2, test: 0.1, seed: 1 }).validation.length; // 2
 * ```
 */
export function holdoutIndices(
  n: number,
  options: { readonly validation?: number; readonly test?: number; readonly seed: number },
): HoldoutIndices {
  const fv = options.validation ?? 0;
  const ft = options.test ?? 0;
  if (!(fv >= 0 && ft >= 0 && fv + ft < 1)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `holdout fractions validation=${fv}, test=${ft} must be >= 0 and sum to less than 1`,
    );
  }
  const order = permutation(n, mulberry32(mixSeeds(options.seed, 0x5917)));
  const nv = Math.round(fv * n);
  const nt = Math.round(ft * n);
  const sorted = (a: Int32Array): Int32Array => a.slice().sort();
  return {
    validation: sorted(order.subarray(0, nv)),
    test: sorted(order.subarray(nv, nv + nt)),
    train: sorted(order.subarray(nv + nt)),
  };
}
