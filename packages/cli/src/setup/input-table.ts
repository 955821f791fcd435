import { extname } from "node:path";
import { type Dataset, loadDataset, TunekitError } from "@tunekit/core";
import {
  type DatasetConfig,
  parseDelimited,
  parseJsonDocument,
  parseJsonLines,
  readTextFile,
  sniffFormat,
} from "@tunekit/core/data";

/**
 * Formats of a `predict --input` / `evaluate --data` file: delimited tables with a header,
 * JSON Lines, a JSON document (records, or at `--field`), or plain text (one text a line, a
 * tab before a second text).
 *
 * @example
 * ```ts
 * INPUT_FORMATS.includes("jsonl"); // true
 * ```
 */
export const INPUT_FORMATS = ["csv", "tsv", "jsonl", "json", "text"] as const;

/** See {@link INPUT_FORMATS}. @example `const f: InputFormat = "csv";` */
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** Columns tried, in order, when no `--text-column` is given. */
const TEXT_DEFAULTS = ["text", "sentence", "sentence1", "question", "content", "review", "document"];
const PAIR_DEFAULTS: Readonly<Record<string, string>> = {
  sentence1: "sentence2",
  question: "sentence",
  text: "text_pair",
};
const LABEL_DEFAULTS = ["label", "labels", "gold", "class", "target"];

/**
 * The format of an input file: `--input-format`, else its extension, else what its text looks
 * like (a JSON document or JSON Lines), else plain text lines.
 *
 * @example
 * ```ts
 * inputFormat("reviews.csv", "", undefined); // "csv"
 * ```
 */
export function inputFormat(path: string, text: string, flag: InputFormat | undefined): InputFormat {
  if (flag !== undefined) return flag;
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".tsv" || ext === ".tab") return "tsv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".json") return "json";
  if (ext === ".txt") return "text";
  // tab-separated lines without a known extension stay text lines (a tab before a second text)
  const sniffed = sniffFormat(text);
  return sniffed === "json" || sniffed === "jsonl" ? sniffed : "text";
}

/**
 * Which columns to read: the text column(s), an optional second text and the label.
 *
 * @example
 * ```ts
 * const c: InputColumns = { text: ["title", "description"], textPair: undefined, label: "label" };
 * ```
 */
export interface InputColumns {
  readonly text: readonly string[] | undefined;
  readonly textPair: readonly string[] | undefined;
  readonly label: string | undefined;
}

/**
 * Reads a tabular input file (`csv`, `tsv` with a header, `jsonl`, `json`) with core's data
 * readers into a {@link Dataset} of one `test` split. Columns default to the usual names
 * (`text`, `sentence`, …; `label`); a column that is not there is a `DATA_INVALID` error
 * listing the file's columns. Labels are matched to `labelNames` by name, or by id (`0`, `1`,
 * … for models whose config names them `LABEL_0`, …).
 *
 * @example
 * ```ts
 * const ds = await readInputTable("reviews.csv", "csv", { text: ["review"], textPair: undefined, label: "stars" }, {
 *   labelNames: ["negative", "positive"], task: "classification", needLabels: true,
 * });
 * ```
 */
export async function readInputTable(
  file: string,
  format: Exclude<InputFormat, "text">,
  columns: InputColumns,
  o: {
    readonly labelNames: readonly string[];
    readonly task: "classification" | "regression";
    readonly needLabels: boolean;
    readonly field?: string | undefined;
    /** How the file is named in messages (`stdin` for `-`). */
    readonly shownAs?: string;
  },
): Promise<Dataset> {
  const shown = o.shownAs ?? file;
  const available = await columnNames(file, format, o.field);
  const check = (flag: string, names: readonly string[]): void => {
    for (const n of names) {
      if (!available.includes(n)) {
        throw new TunekitError(
          "DATA_INVALID",
          `${flag} ${JSON.stringify(n)} is not a column of ${shown}; its columns are [${available.join(", ")}]`,
        );
      }
    }
  };
  let text = columns.text;
  if (text === undefined) {
    const found = TEXT_DEFAULTS.find((c) => available.includes(c));
    if (found === undefined) {
      throw new TunekitError(
        "DATA_INVALID",
        `${shown} has no column named ${TEXT_DEFAULTS.slice(0, 3).join(" / ")}; pick the text with --text-column NAME (repeat it to join several columns); its columns are [${available.join(", ")}]`,
      );
    }
    text = [found];
  }
  check("--text-column", text);
  let pair = columns.textPair;
  if (pair === undefined && columns.text === undefined) {
    const p = PAIR_DEFAULTS[text[0]!];
    if (p !== undefined && available.includes(p)) pair = [p];
  }
  if (pair !== undefined) check("--text-pair-column", pair);
  let label = columns.label;
  if (label === undefined) label = LABEL_DEFAULTS.find((c) => available.includes(c));
  else check("--label-column", [label]);
  if (label === undefined && o.needLabels) {
    throw new TunekitError(
      "DATA_INVALID",
      `${shown} has no label column (tried ${LABEL_DEFAULTS.join(", ")}); name it with --label-column NAME; its columns are [${available.join(", ")}]`,
    );
  }
  const classification = o.task === "classification";
  const labelMap: Record<string, string> = {};
  if (classification) {
    o.labelNames.forEach((name, i) => {
      if (!o.labelNames.includes(String(i))) labelMap[String(i)] = name;
    });
  }
  const config: DatasetConfig = {
    name: "input",
    format,
    task: o.task,
    header: true,
    columns: {
      text: text.length === 1 ? text[0]! : text,
      ...(pair === undefined ? {} : { textPair: pair.length === 1 ? pair[0]! : pair }),
      ...(label === undefined ? {} : { label }),
    },
    ...(o.field === undefined ? {} : { field: o.field }),
    ...(classification ? { labels: o.labelNames, labelMap } : {}),
    splits: { test: file },
  };
  const ds = await loadDataset(config);
  return { ...ds.test!, report: { ...ds.test!.report, files: [shown] } };
}

/** The header cells (csv/tsv) or the keys of the first record (jsonl/json). */
async function columnNames(
  file: string,
  format: Exclude<InputFormat, "text">,
  field?: string,
): Promise<string[]> {
  const text = await readTextFile(file, "utf-8");
  if (format === "csv" || format === "tsv") {
    const { records } = parseDelimited(text, {
      delimiter: format === "csv" ? "," : "\t",
      quoting: format === "csv" ? "rfc4180" : "none",
      file,
    });
    const head = records[0];
    if (head === undefined)
      throw new TunekitError("DATA_INVALID", `${file} is empty; expected a header row and rows`);
    return head.cells.map((c) => c.trim());
  }
  const records =
    format === "jsonl" ? parseJsonLines(text, file).records : parseJsonDocument(text, file, field).records;
  const first = records.find((r) => r.value !== undefined)?.value;
  if (first === undefined) throw new TunekitError("DATA_INVALID", `${file} has no JSON record to read`);
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}: the first record is ${Array.isArray(first) ? "an array" : JSON.stringify(first)}; expected objects with named fields`,
    );
  }
  return Object.keys(first);
}
