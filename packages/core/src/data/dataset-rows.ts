import { TunekitError } from "../errors.js";
import type { ColumnRef, DatasetConfig, SplitSource, TextColumns } from "./dataset-config.js";
import { formatHint } from "./format-hints.js";
import { parseJsonDocument } from "./json-document.js";
import {
  type ParsedTable,
  parseDelimited,
  parseJsonLines,
  parseLabelPrefixed,
  splitLines,
  type TableRecord,
} from "./table-reader.js";
import { readTextFile } from "./text-decoding.js";

/**
 * Why a row was not loaded.
 *
 * @example
 * ```ts
 * const r: BadRowReason = "unknown-label";
 * ```
 */
export type BadRowReason =
  | "missing-label"
  | "unknown-label"
  | "invalid-number"
  | "empty-text"
  | "wrong-column-count"
  | "malformed";

/**
 * A row that was skipped (or made loading fail), with where it is and why.
 *
 * @example
 * ```ts
 * const b: BadRow = { file: "train.tsv", line: 12, reason: "empty-text", detail: "text column is empty" };
 * ```
 */
export interface BadRow {
  readonly file: string;
  readonly line: number;
  readonly reason: BadRowReason;
  readonly detail: string;
}

/** One row as read from disk, before label mapping and validation (internal). */
export interface RawRow {
  readonly fileIndex: number;
  readonly line: number;
  readonly text: string;
  readonly textPair: string | undefined;
  readonly label: string | undefined;
}

/** The raw rows of one split (internal). */
export interface RawSplit {
  readonly files: string[];
  readonly rows: RawRow[];
  readonly bad: BadRow[];
  readonly blankLines: { file: string; line: number }[];
  readonly labeled: boolean;
  readonly pair: boolean;
}

/**
 * Reads the files of one split into raw rows (internal to {@link loadDataset}).
 *
 * @example
 * ```ts
 * const raw = await readSplit(config, "train.tsv", (p) => resolve(baseDir, p));
 * ```
 */
export async function readSplit(
  cfg: DatasetConfig,
  source: SplitSource,
  resolvePath: (p: string) => string,
): Promise<RawSplit> {
  const limits = {
    ...(cfg.maxLineLength === undefined ? {} : { maxLineLength: cfg.maxLineLength }),
    ...(cfg.maxFileBytes === undefined ? {} : { maxFileBytes: cfg.maxFileBytes }),
  };
  const encoding = cfg.encoding ?? "utf-8";
  const split: RawSplit = { files: [], rows: [], bad: [], blankLines: [], labeled: true, pair: false };
  if (typeof source === "object" && "textFile" in source) {
    const files = { text: source.textFile, pair: source.textPairFile, label: source.labelFile };
    const read = async (p: string | undefined) =>
      p === undefined
        ? undefined
        : splitLines(await readTextFile(resolvePath(p), encoding, limits), resolvePath(p), limits);
    const [texts, pairs, labels] = [await read(files.text), await read(files.pair), await read(files.label)];
    for (const [what, lines] of [
      ["textPairFile", pairs],
      ["labelFile", labels],
    ] as const) {
      if (lines !== undefined && lines.length !== texts!.length) {
        throw new TunekitError(
          "DATA_INVALID",
          `${resolvePath(source[what]!)}: ${lines.length} lines but ${resolvePath(files.text)} has ${texts!.length}; ` +
            "parallel files must have one entry a line, aligned",
        );
      }
    }
    split.files.push(resolvePath(files.text));
    Object.assign(split, { labeled: labels !== undefined, pair: pairs !== undefined });
    texts!.forEach(({ line, text }, i) => {
      split.rows.push({
        fileIndex: 0,
        line,
        text,
        textPair: pairs?.[i]?.text,
        label: labels?.[i]?.text.trim(),
      });
    });
    return split;
  }
  type FilesSpec = {
    files: string | readonly string[];
    header?: boolean;
    unlabeled?: boolean;
    field?: string;
  };
  const spec: FilesSpec =
    typeof source === "string" || Array.isArray(source)
      ? { files: source as string | readonly string[] }
      : (source as FilesSpec);
  const paths = typeof spec.files === "string" ? [spec.files] : [...spec.files];
  const header = spec.header ?? cfg.header ?? true;
  const unlabeled = spec.unlabeled === true;
  const columns = cfg.columns;
  Object.assign(split, {
    labeled: !unlabeled && (cfg.format === "label-prefixed" || columns?.label !== undefined),
  });
  Object.assign(split, { pair: columns?.textPair !== undefined && cfg.format !== "label-prefixed" });
  const separator = columns?.separator ?? " ";
  for (const p of paths) {
    const file = resolvePath(p);
    const fileIndex = split.files.push(file) - 1;
    const text = await readTextFile(file, encoding, limits);
    const rowsBefore = split.rows.length;
    const badBefore = split.bad.length;
    const bad = (line: number, reason: BadRowReason, detail: string) =>
      split.bad.push({ file, line, reason, detail });
    const push = (line: number, t: string | undefined, pair: string | undefined, label: string | undefined) =>
      split.rows.push({
        fileIndex,
        line,
        text: t ?? "",
        textPair: pair,
        label: split.labeled ? label : undefined,
      });
    const pushJson = (records: readonly { line: number; value?: unknown; problem?: string }[]) => {
      for (const r of records) {
        if (r.problem !== undefined) bad(r.line, "malformed", r.problem);
        else
          push(
            r.line,
            jsonText(r.value, columns!.text, separator),
            pickText(r.value, columns?.textPair, separator),
            pick(r.value, columns?.label),
          );
      }
    };
    try {
      let parsed: ParsedTable | undefined;
      if (cfg.format === "label-prefixed") {
        parsed = parseLabelPrefixed(text, file, limits);
        for (const r of parsed.records) push(r.line, r.cells[1], undefined, r.cells[0]);
      } else if (cfg.format === "jsonl") {
        const j = parseJsonLines(text, file, limits);
        for (const b of j.blankLines) split.blankLines.push({ file, line: b });
        pushJson(j.records);
      } else if (cfg.format === "json") {
        pushJson(parseJsonDocument(text, file, spec.field ?? cfg.field).records);
      } else {
        const delimiter = cfg.delimiter ?? (cfg.format === "csv" ? "," : "\t");
        const quoting = cfg.quoting ?? (cfg.format === "csv" ? "rfc4180" : "none");
        parsed = parseDelimited(text, { delimiter, quoting, file, ...limits });
        readColumns(parsed.records, header, split.labeled, cfg, file, bad, push);
      }
      if (parsed !== undefined) for (const b of parsed.blankLines) split.blankLines.push({ file, line: b });
    } catch (e) {
      if (!(e instanceof TunekitError && e.code === "DATA_INVALID")) throw e;
      const hint = formatHint(text, cfg.format);
      if (hint === undefined) throw e;
      throw new TunekitError("DATA_INVALID", `${e.message}\n${file}: ${hint}`, { cause: e });
    }
    // A file most of whose rows do not read is the wrong format more often than bad data: say
    // which format it looks like, whatever onBadRow says (skipping would leave little or nothing).
    const [good, bads] = [split.rows.length - rowsBefore, split.bad.length - badBefore];
    if (bads > good) {
      const hint = formatHint(text, cfg.format);
      if (hint !== undefined) {
        const first = split.bad[badBefore]!;
        throw new TunekitError(
          "DATA_INVALID",
          `${file}: ${bads} of ${good + bads} rows do not read as ${cfg.format} (the first at line ${first.line}: ${first.detail}); ${hint}`,
        );
      }
    }
  }
  return split;
}

function readColumns(
  records: readonly TableRecord[],
  header: boolean,
  labeled: boolean,
  cfg: DatasetConfig,
  file: string,
  bad: (line: number, reason: BadRowReason, detail: string) => void,
  push: (line: number, t: string | undefined, pair: string | undefined, label: string | undefined) => void,
): void {
  const columns = cfg.columns!;
  const head = header ? records[0]?.cells.map((c) => c.trim()) : undefined;
  const body = header ? records.slice(1) : records;
  const expected = head?.length ?? cfg.columnCount ?? body[0]?.cells.length ?? 0;
  const indexOf = (ref: ColumnRef | undefined, role: string): number | undefined => {
    if (ref === undefined) return undefined;
    if (typeof ref === "number") {
      if (ref >= expected && records.length > 0) {
        throw new TunekitError(
          "DATA_INVALID",
          `${file}: columns.${role} is index ${ref} but rows have ${expected} columns`,
        );
      }
      return ref;
    }
    if (header && records.length === 0) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}: the file has no rows (it is empty or only blank lines), so there is no header naming ` +
          `column ${JSON.stringify(ref)} (columns.${role}); check the path, or drop the split if it has no data`,
      );
    }
    if (head === undefined) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}: columns.${role} names column ${JSON.stringify(ref)} but the file has no header; use a 0-based index`,
      );
    }
    const i = head.indexOf(ref);
    if (i < 0) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${records[0]!.line}: header has no column ${JSON.stringify(ref)} (columns.${role}); header is [${head.join(", ")}]`,
      );
    }
    return i;
  };
  const indexesOf = (refs: TextColumns | undefined, role: string): number[] | undefined =>
    refs === undefined
      ? undefined
      : (Array.isArray(refs) ? (refs as readonly ColumnRef[]) : [refs as ColumnRef]).map(
          (ref) => indexOf(ref, role)!,
        );
  const separator = columns.separator ?? " ";
  const join = (cells: readonly string[], at: number[] | undefined): string | undefined =>
    at === undefined
      ? undefined
      : at.length === 1
        ? cells[at[0]!]
        : joinParts(
            at.map((i) => cells[i]),
            separator,
          );
  const [ti, pi, li] = [
    indexesOf(columns.text, "text"),
    indexesOf(columns.textPair, "textPair"),
    labeled ? indexOf(columns.label, "label") : undefined,
  ];
  for (const r of body) {
    if (r.problem !== undefined) bad(r.line, "malformed", r.problem);
    else if (r.cells.length !== expected) {
      bad(r.line, "wrong-column-count", `${r.cells.length} columns, expected ${expected}`);
    } else
      push(r.line, join(r.cells, ti), join(r.cells, pi), li === undefined ? undefined : r.cells[li]!.trim());
  }
}

function jsonCell(value: unknown, ref: ColumnRef): string | undefined {
  const v = Array.isArray(value) ? value[ref as number] : (value as Record<string, unknown>)[String(ref)];
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

function pick(value: unknown, ref: ColumnRef | undefined): string | undefined {
  return ref === undefined ? undefined : jsonCell(value, ref)?.trim();
}

// The text of a JSON record: one column, or several joined.
function jsonText(value: unknown, refs: TextColumns, separator: string): string | undefined {
  if (!Array.isArray(refs)) return jsonCell(value, refs as ColumnRef);
  return joinParts(
    (refs as readonly ColumnRef[]).map((ref) => jsonCell(value, ref)),
    separator,
  );
}

function pickText(value: unknown, refs: TextColumns | undefined, separator: string): string | undefined {
  return refs === undefined ? undefined : jsonText(value, refs, separator)?.trim();
}

// Joins the non-empty parts (an empty title or a missing key adds no separator); undefined
// when every part is missing, so the row is reported as empty.
function joinParts(parts: readonly (string | undefined)[], separator: string): string | undefined {
  const present = parts.map((p) => p?.trim()).filter((p): p is string => p !== undefined && p !== "");
  return present.length === 0 ? undefined : present.join(separator);
}
