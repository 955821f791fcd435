import { join } from "node:path";
import type { EvaluationResult } from "@tunekit/core";
import { type ClassificationReport, confusionMatrixSvg, reportFromConfusion } from "@tunekit/core/trainer";
import { writeFileAtomic } from "@tunekit/core/io";
import { formatTable } from "./format-table.js";

/**
 * File name of the confusion matrix written beside `metrics.json`.
 *
 * @example
 * ```ts
 * join("runs/x", CONFUSION_SVG); // "runs/x/confusion-matrix.svg"
 * ```
 */
export const CONFUSION_SVG = "confusion-matrix.svg";

/**
 * The per-class report of an evaluation that has a confusion matrix (classification, token
 * classification), with the model's label names; undefined for regression.
 *
 * @example
 * ```ts
 * const report = classReport(await trainer.evaluate(validation), ["negative", "positive"]);
 * ```
 */
export function classReport(
  result: EvaluationResult,
  labels: readonly string[],
): ClassificationReport | undefined {
  const confusion = result.confusion;
  if (confusion === undefined || confusion.length === 0) return undefined;
  const names = confusion.map((_, i) => labels[i] ?? `LABEL_${i}`);
  return reportFromConfusion(confusion, names);
}

/**
 * A report as JSON for `metrics.json`: per class (precision, recall, f1, support), the macro
 * and weighted means, and the confusion matrix with its labels (`matrix[true][predicted]`).
 *
 * @example
 * ```ts
 * summary.evaluation.classes = classReportJson(report);
 * ```
 */
export function classReportJson(r: ClassificationReport): Record<string, unknown> {
  const scores = (s: { precision: number; recall: number; f1: number; support: number }) => ({
    precision: s.precision,
    recall: s.recall,
    f1: s.f1,
    support: s.support,
  });
  return {
    perClass: Object.fromEntries(r.classes.map((c) => [c.label, scores(c)])),
    macroAvg: scores(r.macro),
    weightedAvg: scores(r.weighted),
    confusionMatrix: { labels: r.classes.map((c) => c.label), matrix: r.confusion },
  };
}

/**
 * The per-class table printed by `evaluate` and `train`: one row per class, then the macro
 * and weighted averages (scikit-learn's `classification_report` layout), and the confusion
 * matrix (rows: true labels, columns: predicted; up to 12 classes).
 *
 * @example
 * ```ts
 * io.stdout(`${classReportTable(report)}\n`);
 * ```
 */
export function classReportTable(r: ClassificationReport): string {
  const f = (x: number): string => x.toFixed(4);
  const rows: string[][] = [["class", "precision", "recall", "f1", "support"]];
  for (const c of r.classes) rows.push([c.label, f(c.precision), f(c.recall), f(c.f1), String(c.support)]);
  rows.push(["macro avg", f(r.macro.precision), f(r.macro.recall), f(r.macro.f1), String(r.macro.support)]);
  rows.push([
    "weighted avg",
    f(r.weighted.precision),
    f(r.weighted.recall),
    f(r.weighted.f1),
    String(r.weighted.support),
  ]);
  const labels = r.classes.map((c) => c.label);
  if (labels.length > 12)
    return `${formatTable(rows)}\n\n(confusion matrix of ${labels.length} classes: see metrics.json / ${CONFUSION_SVG})`;
  const matrix: string[][] = [["true \\ predicted", ...labels]];
  r.confusion.forEach((row, i) => {
    matrix.push([labels[i]!, ...row.map(String)]);
  });
  return `${formatTable(rows)}\n\nconfusion matrix\n${formatTable(matrix)}`;
}

/**
 * Writes `confusion-matrix.svg` into `dir` (beside its `metrics.json`) and returns its path.
 *
 * @example
 * ```ts
 * await writeConfusionSvg("runs/x", report, "validation (872 rows)");
 * ```
 */
export async function writeConfusionSvg(
  dir: string,
  r: ClassificationReport,
  title: string,
): Promise<string> {
  const path = join(dir, CONFUSION_SVG);
  await writeFileAtomic(
    path,
    confusionMatrixSvg(
      r.confusion,
      r.classes.map((c) => c.label),
      { title },
    ),
  );
  return path;
}
