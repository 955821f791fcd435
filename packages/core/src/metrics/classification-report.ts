import { TunekitError } from "../errors.js";
import { type ClassScores, confusionMatrix } from "./classification.js";

/**
 * One row of a {@link ClassificationReport}: a class's name and scores.
 *
 * @example
 * ```ts
 * const row: ClassReportRow = { label: "positive", precision: 0.9, recall: 0.8, f1: 0.847, support: 50 };
 * ```
 */
export interface ClassReportRow extends ClassScores {
  readonly label: string;
}

/**
 * Per-class precision / recall / F1 / support, their macro (unweighted) and weighted (by
 * support) means, accuracy and the confusion matrix (`confusion[true][predicted]`), as
 * scikit-learn's `classification_report` and `confusion_matrix` compute them: a zero
 * denominator gives 0, every class counts in the macro mean (support 0 included), the macro
 * F1 is the mean of the per-class F1 values.
 *
 * @example
 * ```ts
 * const r = classificationReport([0, 1, 1], [0, 0, 1], ["neg", "pos"]);
 * r.macro.f1; // 0.667
 * ```
 */
export interface ClassificationReport {
  readonly classes: readonly ClassReportRow[];
  readonly macro: ClassScores;
  readonly weighted: ClassScores;
  readonly accuracy: number;
  readonly confusion: readonly (readonly number[])[];
}

/**
 * The {@link ClassificationReport} of predicted against true class ids; `labelNames` names
 * the classes (and fixes their number, so absent classes get rows of zeros).
 *
 * @example
 * ```ts
 * classificationReport([0, 1, 1], [0, 0, 1], ["neg", "pos"]).classes[1]; // { label: "pos", precision: 0.5, recall: 1, f1: 0.667, support: 1 }
 * ```
 */
export function classificationReport(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  labelNames?: readonly string[],
): ClassificationReport {
  return reportFromConfusion(confusionMatrix(predictions, labels, labelNames?.length), labelNames);
}

/**
 * The {@link ClassificationReport} of a square confusion matrix of counts
 * (`confusion[true][predicted]`); `labelNames` default `LABEL_<i>`.
 *
 * @example
 * ```ts
 * reportFromConfusion([[1, 1], [0, 1]], ["neg", "pos"]).accuracy; // 0.667
 * ```
 */
export function reportFromConfusion(
  confusion: readonly (readonly number[])[],
  labelNames?: readonly string[],
): ClassificationReport {
  const k = confusion.length;
  for (const [i, row] of confusion.entries()) {
    if (row.length !== k || row.some((x) => !Number.isInteger(x) || x < 0)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `reportFromConfusion: row ${i} is [${row.join(", ")}]; expected ${k} non-negative integer counts (a square matrix)`,
      );
    }
  }
  if (k === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "reportFromConfusion: the matrix is empty; expected at least one class",
    );
  }
  if (labelNames !== undefined && labelNames.length !== k) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `reportFromConfusion: ${labelNames.length} label names for ${k} classes; pass one name per class`,
    );
  }
  let total = 0;
  let correct = 0;
  const classes = confusion.map((row, c): ClassReportRow => {
    const tp = row[c]!;
    const support = row.reduce((s, x) => s + x, 0);
    const predicted = confusion.reduce((s, r) => s + r[c]!, 0);
    total += support;
    correct += tp;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label: labelNames?.[c] ?? `LABEL_${c}`, precision, recall, f1, support };
  });
  const mean = (weight: (r: ClassReportRow) => number): ClassScores => {
    const w = classes.map(weight);
    const sw = w.reduce((a, b) => a + b, 0);
    const avg = (key: "precision" | "recall" | "f1"): number =>
      sw === 0 ? 0 : classes.reduce((s, r, i) => s + r[key] * w[i]!, 0) / sw;
    return { precision: avg("precision"), recall: avg("recall"), f1: avg("f1"), support: total };
  };
  return {
    classes,
    macro: mean(() => 1),
    weighted: mean((r) => r.support),
    accuracy: total === 0 ? 0 : correct / total,
    confusion: confusion.map((r) => [...r]),
  };
}
