import type { DatasetFormat } from "./dataset-config.js";

const NAMES: Record<DatasetFormat, string> = {
  tsv: "TSV",
  csv: "CSV",
  json: "a JSON document",
  jsonl: "JSON Lines",
  "label-prefixed": "<label> <text> lines",
  "parallel-lines": "parallel text and label lines",
};

const SNIFF_LINES = 20;
const SNIFF_LINE_CHARS = 100_000;

/**
 * Guesses a data file's layout from its first lines (bounded work, never throws): `json` for
 * one JSON document (an array, or an object of splits), `jsonl` for one JSON value a line,
 * `tsv` for tab-separated lines; `undefined` when nothing stands out.
 *
 * @example
 * ```ts
 * sniffFormat('{"sst2": [\n  {"sentence": "ok", "label": 1}\n]}'); // "json"
 * sniffFormat('{"text": "a"}\n{"text": "b"}\n'); // "jsonl"
 * ```
 */
export function sniffFormat(text: string): "json" | "jsonl" | "tsv" | undefined {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length && lines.length < SNIFF_LINES) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + SNIFF_LINE_CHARS)).trim();
    if (line !== "") lines.push(line);
    start = end + 1;
  }
  const first = lines[0];
  if (first === undefined) return undefined;
  if (first.startsWith("[") || first.startsWith("{")) {
    const values = lines.slice(0, 2).map(parseContainer);
    if (lines.length >= 2 && values.every((v) => v !== undefined)) return "jsonl";
    const one = values[0];
    // one line that parses: a document when it holds records (an array of objects, or an
    // object of arrays of records), else a one-row JSON Lines file
    if (one !== undefined && lines.length === 1 && !holdsRecords(one)) return "jsonl";
    return "json";
  }
  if (lines.length >= 2 && lines.every((l) => l.includes("\t"))) return "tsv";
  return undefined;
}

/**
 * A sentence naming the format a file looks like when that is not the `configured` one
 * ("this is a JSON document, not JSON Lines: set \"format\": \"json\" ..."), for the errors of
 * a file that did not read; `undefined` when the file looks like what was configured (or like
 * nothing in particular).
 *
 * @example
 * ```ts
 * formatHint("[\n{\"text\": \"a\"}\n]", "jsonl");
 * // 'this is a JSON document, not JSON Lines: set "format": "json" ...'
 * ```
 */
export function formatHint(text: string, configured: DatasetFormat): string | undefined {
  const sniffed = sniffFormat(text);
  if (sniffed === undefined || sniffed === configured) return undefined;
  // a TSV with quoted fields or a custom delimiter may be configured as csv: say nothing then
  if (sniffed === "tsv" && configured === "csv") return undefined;
  const not = `not ${NAMES[configured]}`;
  if (sniffed === "json") {
    const keys = splitKeys(text);
    return (
      `this is a JSON document, ${not}: set "format": "json"` +
      (keys.length > 0
        ? ` and "field" to the key of the records array (the document is an object with arrays: ${keys.join(", ")})`
        : ' (an array of records; an object of splits also needs "field")')
    );
  }
  if (sniffed === "jsonl")
    return `this is JSON Lines (one JSON object a line), ${not}: set "format": "jsonl"`;
  return `this looks like tab-separated values, ${not}: set "format": "tsv" (and "header", "columns")`;
}

function parseContainer(s: string): object | undefined {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

function holdsRecords(v: object): boolean {
  const isRecords = (x: unknown): boolean =>
    Array.isArray(x) && x.some((e) => typeof e === "object" && e !== null);
  return isRecords(v) || Object.values(v).some(isRecords);
}

// The keys whose values are arrays, when the whole text is one JSON object.
function splitKeys(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return [];
  const record = doc as Record<string, unknown>;
  return Object.keys(record)
    .filter((k) => Array.isArray(record[k]))
    .slice(0, 8);
}
