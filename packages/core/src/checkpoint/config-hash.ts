import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted, so equal values always give the same text.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v ?? null)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * SHA-256 (hex, first 16 characters) of {@link stableStringify}`(config)`.
 *
 * @example
 * ```ts
 * configHash({ batchSize: 8, seed: 42 }) === configHash({ seed: 42, batchSize: 8 }); // true
 * ```
 */
export function configHash(config: unknown): string {
  return createHash("sha256").update(stableStringify(config)).digest("hex").slice(0, 16);
}

const show = (v: unknown): string => (v === undefined ? "(not set)" : stableStringify(v));

/**
 * Top-level keys whose values differ between two configs, as `key: old → new` lines.
 *
 * @example
 * ```ts
 * configDifferences({ seed: 1 }, { seed: 2 }); // ["seed: 1 → 2"]
 * ```
 */
export function configDifferences(
  saved: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  return keys
    .filter((k) => stableStringify(saved[k]) !== stableStringify(current[k]))
    .map((k) => `${k}: ${show(saved[k])} → ${show(current[k])}`);
}
