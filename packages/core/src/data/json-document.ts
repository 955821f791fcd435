import { TunekitError } from "../errors.js";

/**
 * One record of a JSON document: its 1-based position in the records array, and the record
 * (an object or an array), or a `problem` when it is neither (a bad row, not a bad file).
 *
 * @example
 * ```ts
 * const r: JsonDocumentRecord = { line: 1, value: { sentence: "a fine film", label: 1 } };
 * ```
 */
export interface JsonDocumentRecord {
  readonly line: number;
  readonly value?: unknown;
  readonly problem?: string;
}

/**
 * Parses a JSON document holding records: an array of records, or an object whose `field`
 * (a dot path such as `"sst2"` or `"data.train"`) is that array, like AdvGLUE's
 * `{"sst2": [...], "qqp": [...]}`. A document that is not valid JSON, a missing or
 * non-array `field`, or an object without `field` throws `DATA_INVALID` saying what the
 * document holds and what to set. Record numbers stand in for lines (`line` is the 1-based
 * index of the record in the array).
 *
 * @example
 * ```ts
 * parseJsonDocument('{"sst2": [{"sentence": "ok", "label": 1}]}', "dev.json", "sst2").records[0];
 * // { line: 1, value: { sentence: "ok", label: 1 } }
 * ```
 */
export function parseJsonDocument(
  text: string,
  file: string,
  field?: string,
): { records: JsonDocumentRecord[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}: not a valid JSON document (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  let target = doc;
  let where = "the document";
  if (field !== undefined) {
    const keys = field.split(".");
    keys.forEach((key, i) => {
      if (!isRecord(target) || !Object.hasOwn(target, key)) {
        throw new TunekitError(
          "DATA_INVALID",
          `${file}: field "${field}" not found: ${where} is ${describe(target)}${arrayKeys(target)}`,
        );
      }
      target = target[key];
      where = `"${keys.slice(0, i + 1).join(".")}"`;
    });
  }
  if (!Array.isArray(target)) {
    const fix =
      field === undefined
        ? isRecord(target)
          ? `; set "field" to the key of the records array${arrayKeys(target)}`
          : "; expected an array of records"
        : `; "field" must name an array of records`;
    throw new TunekitError("DATA_INVALID", `${file}: ${where} is ${describe(target)}${fix}`);
  }
  const records: JsonDocumentRecord[] = target.map((value: unknown, i: number) =>
    typeof value === "object" && value !== null
      ? { line: i + 1, value }
      : {
          line: i + 1,
          problem: `record ${i + 1} is ${value === null ? "null" : typeof value}, expected a JSON object or array`,
        },
  );
  return { records };
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isRecord(v)) {
    const keys = Object.keys(v);
    const shown = keys.slice(0, 8).map((k) => JSON.stringify(k));
    return `an object with keys [${shown.join(", ")}${keys.length > 8 ? `, … (${keys.length})` : ""}]`;
  }
  return v === null ? "null" : `a ${typeof v}`;
}

// " (arrays: sst2, qqp)" for an object with array values, to say what `field` could be.
function arrayKeys(v: unknown): string {
  if (!isRecord(v)) return "";
  const keys = Object.keys(v).filter((k) => Array.isArray(v[k]));
  return keys.length === 0 ? "" : ` (arrays: ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""})`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
