/**
 * Small helpers shared by the checkpoint parsers to validate untrusted JSON and to print
 * received values in error messages. Internal to `io/`; not re-exported from the package.
 */

/**
 * `true` when the host stores numbers little-endian (safetensors data is always little-endian).
 *
 * @example
 * ```ts
 * if (HOST_IS_LITTLE_ENDIAN) new Float32Array(bytes.buffer, offset, n);
 * ```
 */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * JSON-quotes a string for an error message, truncated to about 200 characters.
 *
 * @example
 * ```ts
 * quote("a.weight"); // '"a.weight"'
 * ```
 */
export function quote(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 200 ? `${s.slice(0, 197)}..."` : s;
}

/**
 * Describes a received value for an error message: its kind and a truncated JSON rendering.
 *
 * @example
 * ```ts
 * describeValue("32"); // 'string "32"'
 * describeValue(undefined); // "nothing (missing)"
 * ```
 */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing (missing)";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array ${truncate(safeJson(v))}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "object") return `an object ${truncate(safeJson(v))}`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  if (typeof v === "string") return `string ${quote(v)}`;
  return typeof v;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Array.isArray(v) ? "[...]" : "{...}"; // e.g. nesting too deep to print
  }
}

function truncate(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Narrows to a plain JSON object (not `null`, not an array).
 *
 * @example
 * ```ts
 * isJsonObject({}); // true
 * isJsonObject([]); // false
 * ```
 */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Narrows to a non-negative safe integer (a valid dimension or byte offset).
 *
 * @example
 * ```ts
 * isNonNegativeInt(3); // true
 * isNonNegativeInt(2.5); // false
 * ```
 */
export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
