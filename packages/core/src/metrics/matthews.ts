import { checkClassIds, confusionMatrix } from "./classification.js";

/**
 * Matthews correlation coefficient. For two classes it is
 * `(TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))`; for more, Gorodkin's R_K:
 * `(c*s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2)(s^2 - sum_k t_k^2))` with `c` correct,
 * `s` total, `p_k` / `t_k` predicted / true counts of class `k` (same as the binary form for K = 2).
 * A zero denominator gives 0, as scikit-learn.
 *
 * @example
 * ```ts
 * matthewsCorrelation([1, 1, 0, 0], [1, 0, 0, 0]); // 0.577
 * ```
 */
export function matthewsCorrelation(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): number {
  const k = checkClassIds(predictions, labels, numClasses);
  const m = confusionMatrix(predictions, labels, k);
  const s = labels.length;
  let c = 0;
  let pt = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < k; i++) {
    c += m[i]![i]!;
    const t = m[i]!.reduce((a, x) => a + x, 0);
    const p = m.reduce((a, r) => a + r[i]!, 0);
    pt += p * t;
    pp += p * p;
    tt += t * t;
  }
  const denom = Math.sqrt(s * s - pp) * Math.sqrt(s * s - tt);
  return denom === 0 ? 0 : (c * s - pt) / denom;
}
