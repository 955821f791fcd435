import { isAbsolute, resolve } from "node:path";
import { TunekitError } from "../errors.js";
import { type DatasetConfig, parseDatasetConfig, SPLIT_NAMES } from "./dataset-config.js";
import { type BadRow, type BadRowReason, type RawSplit, readSplit } from "./dataset-rows.js";
import { holdoutIndices } from "./split.js";

/**
 * What loading a split did: rows read and kept, every skipped row and blank line, label counts.
 *
 * @example
 * ```ts
 * if (ds.report.badRows.length > 0) console.warn(`${ds.report.badRows.length} rows skipped`);
 * ```
 */
export interface LoadReport {
  readonly files: readonly string[];
  readonly rowsRead: number;
  readonly rowsKept: number;
  readonly badRows: readonly BadRow[];
  readonly blankLines: readonly { readonly file: string; readonly line: number }[];
  /** Rows per label name (classification only). */
  readonly labelCounts: Readonly<Record<string, number>>;
  /** Set on splits carved out of `train` by `holdout`. */
  readonly holdoutOf?: "train";
}

/**
 * One loaded split, stored column-wise. `labels` is `int32` ids into `labelNames` for
 * classification, `float32` targets for regression, `undefined` for unlabeled splits.
 *
 * @example
 * ```ts
 * const { train } = await loadDataset(config);
 * train?.texts[0]; train?.labels?.[0]; train?.rowLine[0];
 * ```
 */
export interface Dataset {
  readonly name: string;
  readonly split: "train" | "validation" | "test";
  readonly task: "classification" | "regression";
  readonly labelNames: readonly string[];
  readonly texts: readonly string[];
  readonly textPairs: readonly string[] | undefined;
  readonly labels: Int32Array | Float32Array | undefined;
  /** Source file of each row (index into `report.files`) and its 1-based line. */
  readonly rowFile: Int32Array;
  readonly rowLine: Int32Array;
  readonly report: LoadReport;
}

/**
 * The splits of a loaded data set with their shared label names.
 *
 * @example
 * ```ts
 * const { train, validation, labelNames } = await loadDataset(config, { baseDir: process.cwd() });
 * ```
 */
export interface DatasetSplits {
  readonly name: string;
  readonly task: "classification" | "regression";
  readonly labelNames: readonly string[];
  readonly train?: Dataset;
  readonly validation?: Dataset;
  readonly test?: Dataset;
}

/**
 * Loads every split of a data set from a JSON-serialisable {@link DatasetConfig}. Relative
 * paths resolve against `baseDir` (default: the current directory). Bad rows fail the load
 * (`onBadRow: 'fail'`) or are skipped and listed in each split's `report`.
 *
 * @example
 * ```ts
 * const sst5 = await loadDataset(JSON.parse(await readFile("examples/data/sst5.json", "utf8")), {
 *   baseDir: process.cwd(),
 * });
 * sst5.labelNames; // ["negative", "neutral", "positive"]
 * ```
 */
export async function loadDataset(
  config: DatasetConfig | unknown,
  options: { baseDir?: string } = {},
): Promise<DatasetSplits> {
  const cfg = parseDatasetConfig(config);
  const baseDir = options.baseDir ?? process.cwd();
  const name = cfg.name ?? "dataset";
  const task = cfg.task ?? "classification";
  const raw: Partial<Record<(typeof SPLIT_NAMES)[number], RawSplit>> = {};
  for (const split of SPLIT_NAMES) {
    const source = cfg.splits[split];
    if (source !== undefined)
      raw[split] = await readSplit(cfg, source, (p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  }
  const labelNames = task === "regression" ? [] : resolveLabelNames(cfg, Object.values(raw));
  const out: { -readonly [K in (typeof SPLIT_NAMES)[number]]?: Dataset } = {};
  for (const split of SPLIT_NAMES) {
    const r = raw[split];
    if (r !== undefined) out[split] = buildDataset(cfg, name, split, task, labelNames, r);
  }
  if (cfg.holdout !== undefined && out.train !== undefined) {
    const parts = holdoutIndices(out.train.texts.length, cfg.holdout);
    const source = out.train;
    out.train = subsetDataset(source, parts.train, "train", false);
    if (cfg.holdout.validation !== undefined)
      out.validation = subsetDataset(source, parts.validation, "validation", true);
    if (cfg.holdout.test !== undefined) out.test = subsetDataset(source, parts.test, "test", true);
  }
  return { name, task, labelNames, ...out };
}

/**
 * A dataset restricted to the rows at `indices` (in that order), relabelled as `split`.
 *
 * @example
 * ```ts
 * const first100 = subsetDataset(train, Int32Array.from({ length: 100 }, (_, i) => i), "train");
 * ```
 */
export function subsetDataset(
  ds: Dataset,
  indices: Int32Array,
  split: Dataset["split"],
  holdout = false,
): Dataset {
  const pick = <T>(a: readonly T[]): T[] => Array.from(indices, (i) => a[i]!);
  let labels: Int32Array | Float32Array | undefined;
  if (ds.labels instanceof Int32Array) labels = Int32Array.from(indices, (i) => ds.labels![i]!);
  else if (ds.labels instanceof Float32Array) labels = Float32Array.from(indices, (i) => ds.labels![i]!);
  const labelCounts: Record<string, number> = {};
  if (labels instanceof Int32Array) for (const l of labels) countLabel(labelCounts, ds.labelNames[l]!);
  const report: LoadReport = {
    ...ds.report,
    rowsKept: indices.length,
    labelCounts,
    ...(holdout ? { holdoutOf: "train" as const } : {}),
  };
  return {
    ...ds,
    split,
    texts: pick(ds.texts),
    textPairs: ds.textPairs === undefined ? undefined : pick(ds.textPairs),
    labels,
    rowFile: Int32Array.from(indices, (i) => ds.rowFile[i]!),
    rowLine: Int32Array.from(indices, (i) => ds.rowLine[i]!),
    report,
  };
}

function mapLabel(cfg: DatasetConfig, rawLabel: string): string {
  // Own keys only: a raw label such as "constructor" must not find Object.prototype members.
  const map = cfg.labelMap;
  const mapped = map !== undefined && Object.hasOwn(map, rawLabel) ? map[rawLabel] : undefined;
  return mapped === undefined ? rawLabel : String(mapped);
}

function resolveLabelNames(cfg: DatasetConfig, splits: readonly (RawSplit | undefined)[]): string[] {
  if (cfg.labels !== undefined) return cfg.labels.map(String);
  const seen = new Set<string>();
  for (const s of splits)
    for (const r of s?.rows ?? [])
      if (r.label !== undefined && r.label !== "") seen.add(mapLabel(cfg, r.label));
  const names = [...seen];
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  return numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

function buildDataset(
  cfg: DatasetConfig,
  name: string,
  split: Dataset["split"],
  task: Dataset["task"],
  labelNames: readonly string[],
  raw: RawSplit,
): Dataset {
  const bad = [...raw.bad];
  const idOf = new Map(labelNames.map((n, i) => [n, i]));
  const texts: string[] = [];
  const pairs: string[] = [];
  const labelValues: number[] = [];
  const rowFile: number[] = [];
  const rowLine: number[] = [];
  const labelCounts: Record<string, number> = {};
  for (const r of raw.rows) {
    const file = raw.files[r.fileIndex]!;
    const reject = (reason: BadRowReason, detail: string) => bad.push({ file, line: r.line, reason, detail });
    if (r.text.trim() === "") {
      reject("empty-text", "text is empty");
      continue;
    }
    if (raw.pair && (r.textPair === undefined || r.textPair.trim() === "")) {
      reject("empty-text", "second text (textPair) is empty");
      continue;
    }
    if (raw.labeled) {
      if (r.label === undefined || r.label === "") {
        reject("missing-label", "label is missing");
        continue;
      }
      if (task === "regression") {
        const v = Number(r.label);
        if (!Number.isFinite(v)) {
          reject("invalid-number", `label ${JSON.stringify(r.label)} is not a finite number`);
          continue;
        }
        labelValues.push(v);
      } else {
        const mapped = mapLabel(cfg, r.label);
        const id = idOf.get(mapped);
        if (id === undefined) {
          reject(
            "unknown-label",
            `label ${JSON.stringify(r.label)} is not one of [${labelNames.join(", ")}]`,
          );
          continue;
        }
        labelValues.push(id);
        countLabel(labelCounts, mapped);
      }
    }
    texts.push(r.text);
    if (raw.pair) pairs.push(r.textPair!);
    rowFile.push(r.fileIndex);
    rowLine.push(r.line);
  }
  bad.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  if (bad.length > 0 && (cfg.onBadRow ?? "fail") === "fail") {
    const shown = bad.slice(0, 5).map((b) => `  ${b.file}:${b.line}: ${b.reason}: ${b.detail}`);
    throw new TunekitError(
      "DATA_INVALID",
      `${name}/${split}: ${bad.length} bad row(s):\n${shown.join("\n")}${bad.length > 5 ? "\n  ..." : ""}\n` +
        "fix the data or set onBadRow: 'skip' to drop them (they are listed in the load report)",
      { details: { badRows: bad.slice(0, 100) } },
    );
  }
  if (texts.length === 0 && bad.length > 0) {
    const first = bad[0]!;
    throw new TunekitError(
      "DATA_INVALID",
      `${name}/${split}: all ${bad.length} row(s) are bad, so onBadRow: 'skip' would leave no data ` +
        `(the first: ${first.file}:${first.line}: ${first.reason}: ${first.detail}); check the format and columns of the data set config`,
      { details: { badRows: bad.slice(0, 100) } },
    );
  }
  let labels: Int32Array | Float32Array | undefined;
  if (raw.labeled)
    labels = task === "regression" ? Float32Array.from(labelValues) : Int32Array.from(labelValues);
  return {
    name,
    split,
    task,
    labelNames,
    texts,
    textPairs: raw.pair ? pairs : undefined,
    labels,
    rowFile: Int32Array.from(rowFile),
    rowLine: Int32Array.from(rowLine),
    report: {
      files: raw.files,
      rowsRead: raw.rows.length + raw.bad.length,
      rowsKept: texts.length,
      badRows: bad,
      blankLines: raw.blankLines,
      labelCounts,
    },
  };
}

function countLabel(counts: Record<string, number>, name: string): void {
  // defineProperty and hasOwn, so labels named "__proto__" or "constructor" count like any other.
  const value = (Object.hasOwn(counts, name) ? counts[name]! : 0) + 1;
  Object.defineProperty(counts, name, { value, enumerable: true, writable: true, configurable: true });
}
