import { TunekitError } from "../errors.js";
import { describeValue, isJsonObject } from "./json-checks.js";

/**
 * Typed readers of a Hugging Face `config.json` object's fields, each throwing
 * `CONFIG_INVALID` that names the source, the key, what is allowed and what was found.
 * `int` bounds come from `limits` (checked before anything is allocated from them).
 *
 * @example
 * ```ts
 * const f = configFields(json, "bert/config.json", { vocab_size: 1_000_000 });
 * const vocab = f.int("vocab_size", 1);
 * ```
 */
export interface ConfigFields {
  /** The config object itself. */
  readonly cfg: Readonly<Record<string, unknown>>;
  /** A `CONFIG_INVALID` error for `key`. */
  fail(key: string, msg: string): TunekitError;
  /** An integer in `[min, limits[key]]`; `fallback` when absent. */
  int(key: string, min: number, fallback?: number): number;
  /** A finite number that passes `ok` (described by `allowed`); `fallback` when absent. */
  real(key: string, fallback: number, ok: (x: number) => boolean, allowed: string): number;
  /** `true` or `false`; `fallback` when absent. */
  bool(key: string, fallback: boolean): boolean;
}

/**
 * The {@link ConfigFields} of `json` (which must be a JSON object). With `nullIsAbsent`, a
 * `null` field reads as missing (Hugging Face writes `null` for unset optional fields).
 *
 * @example
 * ```ts
 * const { int, real } = configFields(json, source, LIMITS);
 * ```
 */
export function configFields(
  json: unknown,
  source: string,
  limits: Readonly<Record<string, number>>,
  options: { readonly nullIsAbsent?: boolean } = {},
): ConfigFields {
  const fail = (key: string, msg: string): TunekitError =>
    new TunekitError("CONFIG_INVALID", `${source}: ${msg}`, { details: { key } });
  if (!isJsonObject(json)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: expected a JSON object at the top level, got ${describeValue(json)}`,
    );
  }
  const cfg = json;
  const absent = (v: unknown): boolean => v === undefined || (options.nullIsAbsent === true && v === null);
  return {
    cfg,
    fail,
    int: (key, min, fallback) => {
      const v = cfg[key];
      if (absent(v) && fallback !== undefined) return fallback;
      const max = limits[key] ?? Number.MAX_SAFE_INTEGER;
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        throw fail(key, `${key} must be an integer in [${min}, ${max}], got ${describeValue(v)}`);
      }
      return v;
    },
    real: (key, fallback, ok, allowed) => {
      const v = cfg[key];
      if (v === undefined) return fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
        throw fail(key, `${key} must be ${allowed}, got ${describeValue(v)}`);
      }
      return v;
    },
    bool: (key, fallback) => {
      const v = cfg[key];
      if (absent(v)) return fallback;
      if (typeof v !== "boolean") throw fail(key, `${key} must be true or false, got ${describeValue(v)}`);
      return v;
    },
  };
}
