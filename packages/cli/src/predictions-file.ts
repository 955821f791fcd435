import { mkdir } from "node:fs/promises";
import { dirname, extname } from "node:path";
import type { PredictResult } from "@tunekit/core";
import { writeFileAtomic } from "@tunekit/core/io";
import type { PreparedSplit } from "./setup/training-data.js";

/**
 * Output formats of `tunekit predict` (`--format`).
 *
 * @example
 * ```ts
 * PREDICTION_FORMATS.includes("csv"); // true
 * ```
 */
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
 * One output record per row. Sequence tasks: the row index, its text(s), the gold label when
 * known, the prediction (label name, or the score for regression) and class probabilities.
 * Token classification: the words, the predicted tag of each word (on its first word piece;
 * `null` for words cut by truncation) and the gold tags when known.
 *
 * @example
 * ```ts
 * const records = predictionRecords(split.rows, result, ["negative", "positive"]);
 * records[0]; // { row: 0, text: "...", label: "positive", prediction: "positive", probabilities: { negative: 0.1, positive: 0.9 } }
 * ```
 */
export function predictionRecords(
  rows: PreparedSplit["rows"],
  result: PredictResult,
  labels: readonly string[],
): Record<string, unknown>[] {
  if (rows.kind === "words") {
    return rows.split.words.map((words, i) => {
      const starts = rows.wordStarts[i]!;
      const tokens = result.tokenPredictions?.[i];
      const rec: Record<string, unknown> = { row: i, tokens: words };
      const gold = rows.split.tags?.[i];
      if (gold !== undefined) rec.label = gold;
      rec.prediction = words.map((_, w) => {
        const at = starts[w];
        const id = at === undefined || at < 0 ? undefined : tokens?.[at];
        return id === undefined ? null : (labels[id] ?? id);
      });
      return rec;
    });
  }
  const regression = result.task === "regression";
  return rows.texts.map((text, i) => {
    const rec: Record<string, unknown> = { row: i, text };
    if (rows.textPairs !== undefined) rec.text_pair = rows.textPairs[i];
    if (rows.gold !== undefined) {
      const gold = rows.gold[i]!;
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
 * Writes predictions to `path` (creating its folder), atomically (temporary file + rename).
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
  await writeFileAtomic(path, formatPredictions(records, format));
}

function csvCell(v: unknown): string {
  const s =
    v === undefined || v === null
      ? ""
      : Array.isArray(v)
        ? v.map((x) => (x === null ? "_" : String(x))).join(" ")
        : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
