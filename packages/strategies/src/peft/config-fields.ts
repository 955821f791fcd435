import { TunekitError } from "@tunekit/core";

/**
 * Typed readers of `adapter_config.json` fields: each returns the field's value or its
 * default, and throws `CONFIG_INVALID` naming the file, the field, what was received and
 * what was expected. Untrusted JSON goes through these only.
 *
 * @example
 * ```ts
 * const f = new ConfigFields(json, "adapter/adapter_config.json");
 * const r = f.positiveInt("r", 8);
 * ```
 */
export class ConfigFields {
  constructor(
    readonly json: Readonly<Record<string, unknown>>,
    readonly source: string,
  ) {}

  private fail(field: string, expected: string, value: unknown): never {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${this.source}: "${field}" must be ${expected}, got ${describe(value)}; fix or remove the field`,
      { details: { field } },
    );
  }

  /** The raw value (undefined when absent or null). */
  raw(field: string): unknown {
    const v = Object.hasOwn(this.json, field) ? this.json[field] : undefined;
    return v === null ? undefined : v;
  }

  /** A positive integer (e.g. `r`). */
  positiveInt(field: string, fallback: number): number {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1_000_000) {
      this.fail(field, "a positive integer (at most 1e6)", v);
    }
    return v;
  }

  /** A finite number in `[min, max]`. */
  number(
    field: string,
    fallback: number,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
  ): number {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      this.fail(field, `a finite number in [${min}, ${max}]`, v);
    }
    return v;
  }

  /** A boolean. */
  boolean(field: string, fallback: boolean): boolean {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") this.fail(field, "true or false", v);
    return v;
  }

  /** A string. */
  string(field: string): string | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== "string") this.fail(field, "a string", v);
    return v;
  }

  /** A list of strings, or undefined. */
  stringList(field: string): string[] | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length > 10_000 || !v.every((s) => typeof s === "string" && s !== "")) {
      this.fail(field, "a list of non-empty strings", v);
    }
    return v as string[];
  }

  /** A list of names or one regular-expression string (PEFT's `target_modules`). */
  namesOrRegex(field: string): string[] | string | undefined {
    const v = this.raw(field);
    if (typeof v === "string") {
      try {
        new RegExp(v);
      } catch {
        this.fail(field, "a valid regular expression when it is a string", v);
      }
      return v;
    }
    return this.stringList(field);
  }

  /** Layer indices: one non-negative integer or a list of them. */
  layerIndices(field: string): number[] | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? v : [v];
    if (list.length > 100_000 || !list.every((i) => typeof i === "number" && Number.isInteger(i) && i >= 0)) {
      this.fail(field, "a non-negative integer or a list of them", v);
    }
    return list as number[];
  }

  /** A string from `allowed`. */
  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      this.fail(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, v);
    }
    return v as T;
  }

  /** Fails unless the field is absent, null, or equal to one of `accepted` (JSON equality). */
  unsupportedUnless(field: string, accepted: readonly unknown[], why: string): void {
    const v = this.raw(field);
    if (v === undefined) return;
    const s = JSON.stringify(v);
    if (!accepted.some((a) => JSON.stringify(a) === s))
      this.fail(field, `${accepted.map((a) => JSON.stringify(a)).join(" or ")} (${why})`, v);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return `${Array.isArray(v) ? "array" : typeof v} ${s.length > 120 ? `${s.slice(0, 117)}...` : s}`;
}
