import { TunekitError } from "../errors.js";

/**
 * One parsed record: its cells and the 1-based line it starts on.
 *
 * @example
 * ```ts
 * const r: TableRecord = { line: 2, cells: ["hide new secretions", "0"] };
 * ```
 */
export interface TableRecord {
  readonly line: number;
  readonly cells: readonly string[];
  /** Set when the record is malformed but the rest of the file is readable (a bad row, not a bad file). */
  readonly problem?: string;
}

/**
 * Records of a file, plus the blank lines that were skipped (reported, not silently dropped).
 *
 * @example
 * ```ts
 * const { records, blankLines } = parseDelimited(text, { delimiter: "\t", quoting: "none", file: "x.tsv" });
 * ```
 */
export interface ParsedTable {
  readonly records: TableRecord[];
  readonly blankLines: number[];
}

/**
 * Limits that keep hostile files from hanging or exhausting memory.
 *
 * @example
 * ```ts
 * const limits: ReadLimits = { maxLineLength: 100_000, maxFileBytes: 1 << 28 };
 * ```
 */
export interface ReadLimits {
  /** Longest line (or quoted record) in characters. Default 1,000,000. */
  readonly maxLineLength?: number;
  /** Largest file in bytes. Default 512 MiB. */
  readonly maxFileBytes?: number;
}

const DEFAULT_MAX_LINE = 1_000_000;
/**
 * Splits text into lines (`\n` or `\r\n`; other Unicode line breaks stay inside the line),
 * numbered from 1. A final newline does not start an extra line.
 *
 * @example
 * ```ts
 * splitLines("a\r\nb\n", "x.txt"); // [{ line: 1, text: "a" }, { line: 2, text: "b" }]
 * ```
 */
export function splitLines(
  text: string,
  file: string,
  limits: ReadLimits = {},
): { line: number; text: string }[] {
  const maxLine = limits.maxLineLength ?? DEFAULT_MAX_LINE;
  const out: { line: number; text: string }[] = [];
  let start = 0;
  let line = 1;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > maxLine) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${line}: line of ${end - start} characters exceeds maxLineLength ${maxLine}; ` +
          "is this a data file? Raise maxLineLength if the lines are real",
      );
    }
    let s = text.slice(start, end);
    if (s.endsWith("\r")) s = s.slice(0, -1);
    out.push({ line, text: s });
    start = end + 1;
    line++;
  }
  return out;
}

/**
 * Parses delimiter-separated text. `quoting: 'none'` splits every line on the delimiter (GLUE
 * TSVs: quotes are literal text); `'rfc4180'` honours RFC 4180 quoted fields with `""`
 * escapes and embedded newlines. An unterminated quote is a `DATA_INVALID` error naming the
 * line where it opened.
 *
 * @example
 * ```ts
 * parseDelimited('a,"b ""c""\nd"\n', { delimiter: ",", quoting: "rfc4180", file: "x.csv" }).records[0]?.cells;
 * // ["a", 'b "c"\nd']
 * ```
 */
export function parseDelimited(
  text: string,
  options: { delimiter: string; quoting: "none" | "rfc4180"; file: string } & ReadLimits,
): ParsedTable {
  const { delimiter, file } = options;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`,
    );
  }
  if (options.quoting === "none") {
    const records: TableRecord[] = [];
    const blankLines: number[] = [];
    for (const { line, text: s } of splitLines(text, file, options)) {
      if (s.trim() === "") blankLines.push(line);
      else records.push({ line, cells: s.split(delimiter) });
    }
    return { records, blankLines };
  }
  return parseRfc4180(text, delimiter, file, options.maxLineLength ?? DEFAULT_MAX_LINE);
}

function parseRfc4180(text: string, delimiter: string, file: string, maxLine: number): ParsedTable {
  const records: TableRecord[] = [];
  const blankLines: number[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const startIndex = i;
    const cells: string[] = [];
    let problem: string | undefined;
    let field = "";
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i - startIndex > maxLine) {
        throw new TunekitError(
          "DATA_INVALID",
          `${file}:${startLine}: record runs over ${maxLine} characters; an unterminated quote? ` +
            "Raise maxLineLength if the records are real",
        );
      }
      if (text[i] === '"' && field === "") {
        // Quoted field.
        const openLine = line;
        i++;
        let parts = "";
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0 || q - startIndex > maxLine) {
            throw new TunekitError(
              "DATA_INVALID",
              `${file}:${openLine}: unterminated quoted field (no closing '"'); ` +
                "fix the quoting or use quoting 'none' if quotes are literal text",
            );
          }
          const chunk = text.slice(i, q);
          line += countNewlines(chunk);
          parts += chunk;
          if (text[q + 1] === '"') {
            parts += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        field = parts;
        const c = text[i];
        if (i < n && c !== delimiter && c !== "\n" && c !== "\r") {
          problem ??= `unexpected ${JSON.stringify(c)} after a closing quote`;
          const stop = nextStop(text, i, delimiter);
          field += text.slice(i, stop);
          i = stop;
        }
        continue;
      }
      const stop = nextStop(text, i, delimiter);
      field += text.slice(i, stop);
      i = stop;
      if (i >= n) {
        cells.push(field);
        endOfRecord = true;
      } else if (text[i] === delimiter) {
        cells.push(field);
        field = "";
        i++;
      } else {
        // \n or \r\n (a lone \r ends the record too)
        cells.push(field);
        if (text[i] === "\r" && text[i + 1] === "\n") i++;
        i++;
        line++;
        endOfRecord = true;
      }
    }
    if (i - startIndex > maxLine + 2) {
      // The loop checks before each field; this catches an over-long last field (+2: its line end).
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${startLine}: record of ${i - startIndex} characters exceeds maxLineLength ${maxLine}; ` +
          "is this a data file? Raise maxLineLength if the records are real",
      );
    }
    if (cells.length === 1 && cells[0]!.trim() === "" && text[startIndex] !== '"') blankLines.push(startLine);
    else
      records.push(problem === undefined ? { line: startLine, cells } : { line: startLine, cells, problem });
  }
  return { records, blankLines };
}

function nextStop(text: string, from: number, delimiter: string): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === delimiter || c === "\n" || c === "\r") return j;
  }
  return text.length;
}

function countNewlines(s: string): number {
  let k = 0;
  for (let j = s.indexOf("\n"); j >= 0; j = s.indexOf("\n", j + 1)) k++;
  return k;
}

/**
 * Parses JSON Lines: one JSON object (or array) a line. A line that is not valid JSON, or
 * not an object/array, becomes a record with a `problem` (a bad row). Object records keep
 * `keys` so columns can be picked by name.
 *
 * @example
 * ```ts
 * parseJsonLines('{"text": "hi", "label": 1}\n', "x.jsonl").records[0]; // { line: 1, value: {...} }
 * ```
 */
export function parseJsonLines(
  text: string,
  file: string,
  limits: ReadLimits = {},
): { records: { line: number; value?: unknown; problem?: string }[]; blankLines: number[] } {
  const records: { line: number; value?: unknown; problem?: string }[] = [];
  const blankLines: number[] = [];
  for (const { line, text: s } of splitLines(text, file, limits)) {
    if (s.trim() === "") {
      blankLines.push(line);
      continue;
    }
    try {
      const value: unknown = JSON.parse(s);
      if (typeof value !== "object" || value === null) {
        records.push({
          line,
          problem: `expected a JSON object or array, got ${value === null ? "null" : typeof value}`,
        });
      } else records.push({ line, value });
    } catch (e) {
      records.push({ line, problem: `invalid JSON (${e instanceof Error ? e.message : String(e)})` });
    }
  }
  return { records, blankLines };
}

/**
 * Parses the `<label> <text>` line format (SST-5, MR, SUBJ, CR, MPQA): the label is
 * everything before the first space or tab; the text is the rest, trimmed.
 *
 * @example
 * ```ts
 * parseLabelPrefixed("1 a fine film . \n", "x.txt").records[0]?.cells; // ["1", "a fine film ."]
 * ```
 */
export function parseLabelPrefixed(text: string, file: string, limits: ReadLimits = {}): ParsedTable {
  const records: TableRecord[] = [];
  const blankLines: number[] = [];
  for (const { line, text: s } of splitLines(text, file, limits)) {
    const t = s.trim();
    if (t === "") {
      blankLines.push(line);
      continue;
    }
    const m = /[ \t]/.exec(t);
    records.push(
      m === null
        ? { line, cells: [t, ""] }
        : { line, cells: [t.slice(0, m.index), t.slice(m.index + 1).trim()] },
    );
  }
  return { records, blankLines };
}
