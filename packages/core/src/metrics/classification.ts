import { TunekitError } from "../errors.js";

/**
 * Precision, recall, F1 and support of one class.
 *
 * @example
 * ```ts
 * const s: ClassScores = { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 };
 * ```
 */
export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of true examples of the class. */
  readonly support: number;
}

/**
 * Checks that predictions and labels are same-length, non-empty class ids, and returns the
 * number of classes (`numClasses` if given, else max id + 1).
 *
 * @example
 * ```ts
 * checkClassIds([0, 1], [1, 1]); // 2
 * ```
 */
export function checkClassIds(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): number {
  if (predictions.length !== labels.length) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `metrics: ${predictions.length} predictions but ${labels.length} labels; pass one prediction per label`,
    );
  }
  if (labels.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "metrics: no examples; pass at least one prediction and label",
    );
  }
  let max = -1;
  for (const arr of [predictions, labels]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (!Number.isInteger(v) || v < 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `metrics: class id ${v} at index ${i} is not a non-negative integer`,
        );
      }
      if (v > max) max = v;
    }
  }
  if (numClasses !== undefined && max >= numClasses) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `metrics: class id ${max} is out of range for numClasses ${numClasses}`,
    );
  }
  return numClasses ?? max + 1;
}

/**
 * Fraction of predictions equal to the labels.
 *
 * @example
 * ```ts
 * accuracy([0, 1, 1, 0], [0, 1, 0, 0]); // 0.75
 * ```
 */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkClassIds(predictions, labels);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Confusion matrix `K x K`: `matrix[trueClass][predictedClass]` counts.
 *
 * @example
 * ```ts
 * confusionMatrix([0, 1, 1], [0, 0, 1]); // [[1, 1], [0, 1]]
 * ```
 */
export function confusionMatrix(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): number[][] {
  const k = checkClassIds(predictions, labels, numClasses);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![predictions[i]!]!++;
  return m;
}

/**
 * Per-class precision, recall and F1 (a zero denominator gives 0, as scikit-learn's default).
 *
 * @example
 * ```ts
 * perClassScores([0, 1, 1], [0, 0, 1])[1]; // { precision: 0.5, recall: 1, f1: 0.667, support: 1 }
 * ```
 */
export function perClassScores(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): ClassScores[] {
  const m = confusionMatrix(predictions, labels, numClasses);
  return m.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((s, x) => s + x, 0);
    const predicted = m.reduce((s, r) => s + r[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

/**
 * Unweighted mean of per-class F1 over all `numClasses` classes (default: classes seen).
 *
 * @example
 * ```ts
 * macroF1([0, 1, 1], [0, 0, 1]); // (2/3 + 2/3) / 2 = 0.667
 * ```
 */
export function macroF1(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): number {
  const scores = perClassScores(predictions, labels, numClasses);
  return scores.reduce((s, c) => s + c.f1, 0) / scores.length;
}
