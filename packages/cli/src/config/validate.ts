import { TunekitError } from "@tunekit/core";

/**
 * A small, dependency-free validator for config files. Every check names the key path
 * (`training.lr`), shows the value received and says what is allowed; failures throw
 * `TunekitError("CONFIG_INVALID")`, which the CLI maps to exit code 2.
 *
 * @example
 * ```ts
 * const v = new ConfigValidator("train.json");
 * const lr = v.number("training.lr", raw.training?.lr, { min: 0, exclusiveMin: true });
 * ```
 */
export class ConfigValidator {
  /** `source` prefixes every message (usually the config file name). */
  constructor(readonly source: string) {}

  /** Throws `CONFIG_INVALID` for `path` with the value received and what was expected. */
  fail(path: string, received: unknown, expected: string): never {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${this.source}: ${path} is ${show(received)}; expected ${expected}`,
      { details: { path, received: show(received), expected } },
    );
  }

  /** A plain object (not an array), or `undefined` when optional and absent. */
  object(path: string, v: unknown): Record<string, unknown>;
  object(path: string, v: unknown, optional: true): Record<string, unknown> | undefined;
  object(path: string, v: unknown, optional = false): Record<string, unknown> | undefined {
    if (v === undefined && optional) return undefined;
    if (!isRecord(v)) return this.fail(path, v, "an object");
    return v;
  }

  /** Rejects keys of `obj` outside `allowed` (typos are the most common config error). */
  knownKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        const hint = closest(k, allowed);
        this.fail(
          path === "" ? k : `${path}.${k}`,
          obj[k],
          `no such key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys: ${allowed.join(", ")}`,
        );
      }
    }
  }

  /** A non-empty string. */
  string(path: string, v: unknown): string;
  string(path: string, v: unknown, optional: true): string | undefined;
  string(path: string, v: unknown, optional = false): string | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || v === "") return this.fail(path, v, "a non-empty string");
    return v;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T;
  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], optional: true): T | undefined;
  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], optional = false): T | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      return this.fail(path, v, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    }
    return v as T;
  }

  /** `true` or `false`. */
  boolean(path: string, v: unknown, optional: true): boolean | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== "boolean") return this.fail(path, v, "true or false");
    return v;
  }

  /** A finite number within the bounds given (`integer` for whole numbers). */
  number(path: string, v: unknown, bounds?: NumberBounds): number;
  number(path: string, v: unknown, bounds: NumberBounds, optional: true): number | undefined;
  number(path: string, v: unknown, bounds: NumberBounds = {}, optional = false): number | undefined {
    if (v === undefined && optional) return undefined;
    const kind = bounds.integer ? "an integer" : "a number";
    const range = describeBounds(bounds);
    const expected = `${kind}${range}${bounds.example === undefined ? "" : `, e.g. ${bounds.example}`}`;
    if (typeof v !== "number" || !Number.isFinite(v)) return this.fail(path, v, expected);
    if (bounds.integer && !Number.isInteger(v)) return this.fail(path, v, expected);
    if (bounds.min !== undefined && (bounds.exclusiveMin ? v <= bounds.min : v < bounds.min))
      return this.fail(path, v, expected);
    if (bounds.max !== undefined && (bounds.exclusiveMax ? v >= bounds.max : v > bounds.max))
      return this.fail(path, v, expected);
    return v;
  }

  /** A positive integer. */
  positiveInt(path: string, v: unknown, optional: true, example?: number): number | undefined;
  positiveInt(path: string, v: unknown, optional?: false, example?: number): number;
  positiveInt(path: string, v: unknown, optional = false, example?: number): number | undefined {
    const bounds: NumberBounds = { integer: true, min: 1, ...(example === undefined ? {} : { example }) };
    return optional ? this.number(path, v, bounds, true) : this.number(path, v, bounds);
  }
}

/**
 * Bounds of {@link ConfigValidator.number}.
 *
 * @example
 * ```ts
 * const b: NumberBounds = { min: 0, max: 1, exclusiveMax: true, example: 0.1 };
 * ```
 */
export interface NumberBounds {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly example?: number | string;
}

function describeBounds(b: NumberBounds): string {
  const lo = b.min === undefined ? undefined : `${b.exclusiveMin ? ">" : ">="} ${b.min}`;
  const hi = b.max === undefined ? undefined : `${b.exclusiveMax ? "<" : "<="} ${b.max}`;
  const parts = [lo, hi].filter((p) => p !== undefined);
  return parts.length === 0 ? "" : ` ${parts.join(" and ")}`;
}

/**
 * Whether `v` is a plain object (not `null`, not an array).
 *
 * @example
 * ```ts
 * isRecord({ a: 1 }); // true
 * ```
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return "missing";
  if (typeof v === "string") return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

/** The allowed key nearest to `key` by edit distance (at most 2 edits), for "did you mean". */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
