import { TunekitError } from "../errors.js";
import type { TextEncoding } from "./text-decoding.js";

/**
 * File layouts understood by {@link loadDataset}:
 * - `tsv` / `csv`: delimited columns (TSV quotes are literal by default, CSV is RFC 4180);
 * - `jsonl`: one JSON object (or array) a line;
 * - `json`: one JSON document, an array of records or an object holding it at `field`;
 * - `label-prefixed`: `<label> <text>` a line;
 * - `parallel-lines`: a text file and a label file with one entry a line each.
 *
 * @example
 * ```ts
 * const f: DatasetFormat = "label-prefixed";
 * ```
 */
export type DatasetFormat = "tsv" | "csv" | "jsonl" | "json" | "label-prefixed" | "parallel-lines";

/**
 * A column by header name (or JSON key) or by 0-based index.
 *
 * @example
 * ```ts
 * const byName: ColumnRef = "sentence"; const byIndex: ColumnRef = 0;
 * ```
 */
export type ColumnRef = string | number;

/**
 * Several columns joined into one text, in order, with `separator` between the non-empty ones
 * (AG News' title and description).
 *
 * @example
 * ```ts
 * const columns = { text: ["title", "description"], label: "label" }; // joined with " "
 * ```
 */
export type TextColumns = ColumnRef | readonly ColumnRef[];

/**
 * Files of one split. A string or list of paths uses the dataset-wide settings; the object form
 * overrides `header` (or, for `json`, `field`) for these files or marks them `unlabeled` (test
 * sets without gold labels). For `parallel-lines`, give `textFile` / `textPairFile` / `labelFile`.
 *
 * @example
 * ```ts
 * const s: SplitSource = { files: "../shared/data/cola/test_idd.tsv", header: true };
 * const advglue: SplitSource = { files: "dev.json", field: "sst2" };
 * ```
 */
export type SplitSource =
  | string
  | readonly string[]
  | {
      readonly files: string | readonly string[];
      readonly header?: boolean;
      readonly unlabeled?: boolean;
      readonly field?: string;
    }
  | { readonly textFile: string; readonly textPairFile?: string; readonly labelFile?: string };

/**
 * Everything needed to load a data set, as plain JSON (so a CLI can load any data set from a
 * config file alone). Relative paths are resolved against `baseDir` of {@link loadDataset}.
 *
 * @example
 * ```ts
 * const sst2: DatasetConfig = {
 *   name: "sst2", format: "tsv", header: true, labels: ["0", "1"],
 *   columns: { text: "sentence", label: "label" },
 *   splits: { train: "../shared/data/sst2/train.tsv", validation: "../shared/data/sst2/dev.tsv" },
 * };
 * ```
 */
export interface DatasetConfig {
  readonly name?: string;
  readonly format: DatasetFormat;
  /** Default `classification`. `regression` reads float targets. */
  readonly task?: "classification" | "regression";
  /** Default `utf-8`. A leading BOM is always stripped. */
  readonly encoding?: TextEncoding;
  /** Whether tsv/csv files start with a header row. Default `true`. */
  readonly header?: boolean;
  /** tsv/csv column delimiter. Default tab for tsv, comma for csv. */
  readonly delimiter?: string;
  /** Quote handling for tsv/csv. Default `none` for tsv, `rfc4180` for csv. */
  readonly quoting?: "none" | "rfc4180";
  /** Expected number of columns in headerless tsv/csv files. Default: the first row's count. */
  readonly columnCount?: number;
  /**
   * Which columns hold the text, the optional second text, and the label (tsv/csv/jsonl/json).
   * `text` and `textPair` may list several columns, joined with `separator` (default `" "`).
   */
  readonly columns?: {
    readonly text: TextColumns;
    readonly textPair?: TextColumns;
    readonly label?: ColumnRef;
    readonly separator?: string;
  };
  /** `json`: dot path to the records array in the document (`"sst2"`, `"data.train"`); a split may override it. */
  readonly field?: string;
  /** Declared label order (classification): label id = index. Raw values are compared as strings. */
  readonly labels?: readonly (string | number)[];
  /** Maps raw label values to names in `labels` (folding, e.g. SST-5 "0" and "1" to "negative"). */
  readonly labelMap?: Readonly<Record<string, string | number>>;
  /** `fail` (default) throws on the first bad rows; `skip` drops them and lists them in the report. */
  readonly onBadRow?: "fail" | "skip";
  /** Files of each split. */
  readonly splits: {
    readonly train?: SplitSource;
    readonly validation?: SplitSource;
    readonly test?: SplitSource;
  };
  /** Carves validation and/or test fractions out of `train`, with a seeded shuffle. */
  readonly holdout?: { readonly validation?: number; readonly test?: number; readonly seed: number };
  /** Longest accepted line in characters. Default 1,000,000. */
  readonly maxLineLength?: number;
  /** Largest accepted file in bytes. Default 512 MiB. */
  readonly maxFileBytes?: number;
}

/** The split names a {@link DatasetConfig} may define. @example `for (const split of SPLIT_NAMES) console.log(split); // train, validation, test` */
export const SPLIT_NAMES = ["train", "validation", "test"] as const;

/**
 * Checks an untrusted JSON value (e.g. a parsed config file) and returns it as a
 * {@link DatasetConfig}, or throws `CONFIG_INVALID` naming the bad field.
 *
 * @example
 * ```ts
 * const config = parseDatasetConfig(JSON.parse(await readFile("examples/data/sst2.json", "utf8")));
 * ```
 */
export function parseDatasetConfig(value: unknown, source = "dataset config"): DatasetConfig {
  const fail = (field: string, what: string): never => {
    throw new TunekitError("CONFIG_INVALID", `${source}: ${field} ${what}`);
  };
  if (!isRecord(value)) return fail("(top level)", "must be an object");
  const known = new Set([
    "name",
    "format",
    "task",
    "encoding",
    "header",
    "delimiter",
    "quoting",
    "columnCount",
    "columns",
    "labels",
    "labelMap",
    "onBadRow",
    "splits",
    "holdout",
    "maxLineLength",
    "maxFileBytes",
    "field",
    "description",
    "license",
  ]);
  for (const k of Object.keys(value))
    if (!known.has(k)) fail(k, `is not a known field; known: ${[...known].join(", ")}`);
  const oneOf = (field: string, allowed: readonly string[], optional = true): void => {
    const v = value[field];
    if (v === undefined && optional) return;
    if (typeof v !== "string" || !allowed.includes(v))
      fail(field, `must be one of ${allowed.join(", ")}; got ${JSON.stringify(v)}`);
  };
  oneOf("format", ["tsv", "csv", "jsonl", "json", "label-prefixed", "parallel-lines"], false);
  oneOf("task", ["classification", "regression"]);
  oneOf("encoding", ["utf-8", "latin1", "windows-1252"]);
  oneOf("quoting", ["none", "rfc4180"]);
  oneOf("onBadRow", ["fail", "skip"]);
  if (value.name !== undefined && typeof value.name !== "string") fail("name", "must be a string");
  if (value.field !== undefined && !isFieldPath(value.field))
    fail("field", `must be a dot path such as "sst2" or "data.train", got ${JSON.stringify(value.field)}`);
  if (value.field !== undefined && value.format !== "json") fail("field", 'applies to format "json" only');
  if (value.header !== undefined && typeof value.header !== "boolean")
    fail("header", "must be true or false");
  if (
    value.delimiter !== undefined &&
    (typeof value.delimiter !== "string" || value.delimiter.length !== 1)
  ) {
    fail("delimiter", "must be a single character");
  }
  for (const f of ["columnCount", "maxLineLength", "maxFileBytes"]) {
    const v = value[f];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0))
      fail(f, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const isRef = (v: unknown): boolean => typeof v === "string" || (Number.isInteger(v) && (v as number) >= 0);
  const format = value.format as DatasetFormat;
  const columns = value.columns;
  const isRefs = (v: unknown): boolean =>
    isRef(v) || (Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every(isRef));
  if (format === "tsv" || format === "csv" || format === "jsonl" || format === "json") {
    if (!isRecord(columns) || !isRefs(columns.text))
      fail("columns.text", "is required: a column name or 0-based index (or a list of them, joined)");
  }
  if (columns !== undefined) {
    if (!isRecord(columns)) return fail("columns", "must be an object");
    for (const k of Object.keys(columns)) {
      if (!["text", "textPair", "label", "separator"].includes(k))
        fail(`columns.${k}`, "is not one of text, textPair, label, separator");
      if (k === "separator") {
        if (typeof columns[k] !== "string") fail("columns.separator", 'must be a string, e.g. " " or ". "');
      } else if (!(k === "label" ? isRef : isRefs)(columns[k])) {
        fail(
          `columns.${k}`,
          `must be a column name or 0-based index${k === "label" ? "" : " (or a list of them, joined)"}, got ${JSON.stringify(columns[k])}`,
        );
      }
    }
  }
  if (value.labels !== undefined) {
    const l = value.labels;
    if (
      !Array.isArray(l) ||
      l.length === 0 ||
      !Array.from(l).every((x) => typeof x === "string" || typeof x === "number") // holes count
    ) {
      fail("labels", "must be a non-empty list of strings or numbers");
    }
    if (new Set((l as unknown[]).map(String)).size !== (l as unknown[]).length)
      fail("labels", "has duplicates");
  }
  if (value.labelMap !== undefined) {
    const m = value.labelMap;
    if (!isRecord(m) || !Object.values(m).every((x) => typeof x === "string" || typeof x === "number")) {
      fail("labelMap", 'must map raw labels to label names, e.g. {"0": "negative"}');
    }
  }
  if (value.task === "regression" && (value.labels !== undefined || value.labelMap !== undefined)) {
    fail("labels/labelMap", "do not apply to task 'regression'");
  }
  const splits = value.splits;
  if (!isRecord(splits)) return fail("splits", "must be an object with train / validation / test");
  for (const k of Object.keys(splits)) {
    if (!(SPLIT_NAMES as readonly string[]).includes(k))
      fail(`splits.${k}`, "is not one of train, validation, test");
    checkSplit(splits[k], format, (what) => fail(`splits.${k}`, what));
  }
  if (Object.keys(splits).length === 0) fail("splits", "defines no split");
  if (value.holdout !== undefined) {
    const h = value.holdout;
    if (!isRecord(h) || !Number.isInteger(h.seed))
      return fail("holdout", "must be { validation?, test?, seed: integer }");
    let total = 0;
    for (const k of ["validation", "test"]) {
      const f = h[k];
      if (f === undefined) continue;
      if (typeof f !== "number" || !(f > 0 && f < 1))
        fail(`holdout.${k}`, `must be a fraction in (0, 1), got ${JSON.stringify(f)}`);
      if (splits[k] !== undefined) fail(`holdout.${k}`, `conflicts with splits.${k}; use one or the other`);
      total += f as number;
    }
    if (total >= 1) fail("holdout", "fractions must sum to less than 1");
    if (splits.train === undefined) fail("holdout", "needs splits.train to carve from");
  }
  return value as unknown as DatasetConfig;
}

function checkSplit(s: unknown, format: DatasetFormat, fail: (what: string) => never): void {
  const isPaths = (v: unknown): boolean =>
    (typeof v === "string" && v.length > 0) ||
    (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x.length > 0));
  if (format === "parallel-lines") {
    if (!isRecord(s) || typeof s.textFile !== "string")
      fail("must be { textFile, textPairFile?, labelFile? }");
    return;
  }
  if (isPaths(s)) return;
  if (isRecord(s) && isPaths(s.files)) {
    if (s.header !== undefined && typeof s.header !== "boolean") fail("header must be true or false");
    if (s.unlabeled !== undefined && typeof s.unlabeled !== "boolean")
      fail("unlabeled must be true or false");
    if (s.field !== undefined && (format !== "json" || !isFieldPath(s.field)))
      fail('field must be a dot path such as "sst2", with format "json"');
    for (const k of Object.keys(s))
      if (!["files", "header", "unlabeled", "field"].includes(k))
        fail(`has an unknown key ${JSON.stringify(k)}; expected files, header, unlabeled, field`);
    return;
  }
  fail("must be a path, a list of paths, or { files, header?, unlabeled?, field? }");
}

function isFieldPath(v: unknown): boolean {
  return typeof v === "string" && v.length > 0 && v.length <= 1000 && v.split(".").every((k) => k.length > 0);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
