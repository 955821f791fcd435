import { TunekitError } from "../errors.js";
import { mixSeeds, mulberry32, permutation } from "./random.js";

/** Stream id mixed into the seed so the oversampling draw differs from the shuffle. */
const OVERSAMPLE_STREAM = 0x0ba1a7ce;

/**
 * The rows of one class-balanced epoch: every class that has rows is oversampled to the size
 * of the largest one (each of its rows `⌊max / count⌋` times, plus a seeded draw without
 * replacement for the remainder), classes in id order. The result is a pure function of the
 * labels, `seed` and `epoch` (a resumed run replans the same epoch), and has the same length
 * every epoch: `classes present × largest class`. Shuffle it afterwards (`planBatches`).
 *
 * @example
 * ```ts
 * balancedEpochRows(Int32Array.of(0, 0, 0, 1), 42, 0); // [0, 1, 2, 3, 3, 3]
 * ```
 */
export function balancedEpochRows(labels: ArrayLike<number>, seed: number, epoch: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `balanced sampling: label ${y} at row ${i} is not a class id; balanced sampling needs classification labels`,
      );
    }
    let rows = byClass.get(y);
    if (rows === undefined) byClass.set(y, (rows = []));
    rows.push(i);
  }
  if (byClass.size === 0) {
    throw new TunekitError("INVALID_ARGUMENT", "balanced sampling: there are no labelled rows to sample");
  }
  const target = Math.max(...[...byClass.values()].map((r) => r.length));
  const out = new Int32Array(byClass.size * target);
  let at = 0;
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(y)!;
    const repeats = Math.floor(target / rows.length);
    for (let r = 0; r < repeats; r++) for (const i of rows) out[at++] = i;
    const rest = target - repeats * rows.length;
    if (rest > 0) {
      const draw = permutation(rows.length, mulberry32(mixSeeds(seed, epoch, OVERSAMPLE_STREAM, y)));
      const picked = Array.from(draw.subarray(0, rest), (j) => rows[j]!).sort((a, b) => a - b);
      for (const i of picked) out[at++] = i;
    }
  }
  return out;
}
