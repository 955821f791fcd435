import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname } from "node:path";
import type { Dataset, PredictResult } from "@tunekit/core";

/** Output formats of `tunekit predict`. */
export const PREDICTION_FORMATS = ["csv", "jsonl"] as const;

/**
 * A predictions file format.
 *
 * @example
 * ```ts
 * const f: PredictionFormat = "jsonl";
 * ```
 */
export type PredictionFormat = (typeof PREDICTION_FORMATS)[number];

/**
 * The format of `path` by extension (`.csv`, `.jsonl` / `.ndjson`), or `undefined`.
 *
 * @example
 * ```ts
 * formatFromPath("preds.jsonl"); // "jsonl"
 * ```
 */
export function formatFromPath(path: string): PredictionFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  return undefined;
}

/**
 * One output record per row: the row index, its text(s), the gold label when known, the
 * prediction (label name, or the score for regression) and class probabilities.
 *
 * @example
 * ```ts
 * const records = predictionRecords(dataset, result, ["negative", "positive"]);
 * records[0]; // { row: 0, text: "...", label: "positive", prediction: "positive", probabilities: { negative: 0.1, positive: 0.9 } }
 * ```
 */
export function predictionRecords(
  dataset: Dataset,
  result: PredictResult,
  labels: readonly string[],
): Record<string, unknown>[] {
  const regression = result.task === "regression";
  return dataset.texts.map((text, i) => {
    const rec: Record<string, unknown> = { row: i, text };
    if (dataset.textPairs !== undefined) rec.text_pair = dataset.textPairs[i];
    if (dataset.labels !== undefined) {
      const gold = dataset.labels[i]!;
      rec.label = regression ? gold : (labels[gold] ?? gold);
    }
    const p = result.predictions[i]!;
    rec.prediction = regression ? p : (labels[p] ?? p);
    const probs = result.probabilities?.[i];
    if (probs !== undefined && !regression) {
      rec.probabilities = Object.fromEntries(labels.map((l, c) => [l, round(probs[c]!)]));
    }
    return rec;
  });
}

/**
 * Serialises records as CSV (RFC 4180 quoting; probabilities become `prob_<label>` columns)
 * or JSON Lines.
 *
 * @example
 * ```ts
 * formatPredictions([{ row: 0, text: "a, b", prediction: "positive" }], "csv");
 * // 'row,text,prediction\n0,"a, b",positive\n'
 * ```
 */
export function formatPredictions(
  records: readonly Record<string, unknown>[],
  format: PredictionFormat,
): string {
  if (format === "jsonl")
    return records.map((r) => JSON.stringify(r)).join("\n") + (records.length ? "\n" : "");
  const flat = records.map((r) => {
    const { probabilities, ...rest } = r;
    const out: Record<string, unknown> = { ...rest };
    if (probabilities !== undefined) {
      for (const [l, p] of Object.entries(probabilities as Record<string, number>)) out[`prob_${l}`] = p;
    }
    return out;
  });
  const columns = flat.length === 0 ? ["row", "text", "prediction"] : Object.keys(flat[0]!);
  const lines = [columns.map(csvCell).join(",")];
  for (const r of flat) lines.push(columns.map((c) => csvCell(r[c])).join(","));
  return `${lines.join("\n")}\n`;
}

/**
 * Writes predictions to `path` (creating its folder).
 *
 * @example
 * ```ts
 * await writePredictions("out/preds.csv", records, "csv");
 * ```
 */
export async function writePredictions(
  path: string,
  records: readonly Record<string, unknown>[],
  format: PredictionFormat,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatPredictions(records, format));
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
