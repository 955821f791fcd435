import { TunekitError } from "../errors.js";
import { logSoftmax } from "../ir/composites.js";
import type { Tensor } from "../ir/graph.js";
import { cast, constant, div, equal, maximum, mul, neg, oneHot, sub, sum } from "../ir/ops.js";

/**
 * Cross-entropy of `logits [N, C]` against int32 `labels [N]` with a weight per class, as
 * PyTorch's `CrossEntropyLoss(weight=w)` (mean reduction): `Σ w[y_i]·(−log p_i[y_i]) / Σ w[y_i]`
 * over rows whose label is not `ignoreIndex`. With every weight 1 it equals `crossEntropy`.
 * Built from primitive ops, so every backend runs it and autodiff differentiates it.
 *
 * @example
 * ```ts
 * const loss = weightedCrossEntropy(logits, labels, [0.75, 1.5]);
 * ```
 */
export function weightedCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  weights: readonly number[],
  ignoreIndex = -100,
): Tensor {
  const c = logits.shape[1]!;
  if (logits.rank !== 2 || weights.length !== c) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `weightedCrossEntropy: logits are [${logits.shape.join(", ")}] and there are ${weights.length} class weights; expected logits [N, C] with one weight per class`,
    );
  }
  const hot = oneHot(labels, c); // out-of-range labels (the ignore index) give zero rows
  const valid = sub(1, cast(equal(labels, ignoreIndex), "float32")); // [N]
  const w = mul(sum(mul(hot, constant(logits.graph, "float32", [c], weights)), 1), valid); // w[y_i], [N]
  const picked = sum(mul(hot, logSoftmax(logits, 1)), 1); // log p_i[y_i], [N]
  return div(neg(sum(mul(picked, w))), maximum(sum(w), 1e-30));
}

/**
 * scikit-learn's `"balanced"` class weights: `n / (k · count_c)` for `n` labelled rows and
 * `k` classes; a class without a row gets weight 1 (it never weighs a training row).
 *
 * @example
 * ```ts
 * balancedClassWeights(Int32Array.of(0, 0, 0, 1), 2); // [0.667, 2]
 * ```
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = classCounts(labels, numClasses, "balancedClassWeights");
  let n = 0;
  for (const x of counts) n += x;
  return counts.map((count) => (count === 0 ? 1 : n / (numClasses * count)));
}

/**
 * Rows per class of int32 class ids (labels of -100 are skipped; anything else out of range is
 * an `INVALID_ARGUMENT` error naming `what`).
 *
 * @example
 * ```ts
 * classCounts(Int32Array.of(0, 1, 1), 2, "train labels"); // [1, 2]
 * ```
 */
export function classCounts(labels: ArrayLike<number>, numClasses: number, what: string): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === -100) continue;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `${what}: label ${y} at row ${i} is not a class id in [0, ${numClasses})`,
      );
    }
    counts[y]!++;
  }
  return counts;
}
