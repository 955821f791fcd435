import { TunekitError } from "../errors.js";

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>, name: string): void {
  if (x.length !== y.length) {
    throw new TunekitError("SHAPE_MISMATCH", `${name}: ${x.length} predictions but ${y.length} targets`);
  }
  if (x.length < 2)
    throw new TunekitError("INVALID_ARGUMENT", `${name}: needs at least 2 pairs, got ${x.length}`);
  for (const arr of [x, y]) {
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i]!)) {
        throw new TunekitError("INVALID_ARGUMENT", `${name}: value ${arr[i]} at index ${i} is not finite`);
      }
    }
  }
}

/**
 * Pearson correlation of two equal-length series (computed in float64, centred first).
 * Returns NaN when either series is constant (as SciPy).
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // 0.9934
 * ```
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "pearson");
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Ranks from 1, ties given the average of the ranks they span.
 *
 * @example
 * ```ts
 * averageRanks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = avg;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman rank correlation: Pearson of the average ranks (handles ties like SciPy).
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [1, 3, 2, 4]); // 0.8
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "spearman");
  return pearson(averageRanks(x), averageRanks(y));
}
