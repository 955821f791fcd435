import { TunekitError } from "../errors.js";

/**
 * Checks that an optimizer hyper-parameter is a finite number in `[min, max]` (or
 * `[min, max)` when `maxExclusive`), throwing a `TunekitError("INVALID_ARGUMENT")` that
 * names the optimizer, the key and the value otherwise.
 *
 * @example
 * ```ts
 * checkHyperparameter("adamw", "beta1", 0.9, 0, 1, true);
 * ```
 */
export function checkHyperparameter(
  optimizer: string,
  key: string,
  value: number,
  min: number,
  max: number,
  maxExclusive = false,
): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    value >= min &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${optimizer}: ${key} must be a number in [${min}, ${max}${maxExclusive ? ")" : "]"}, got ${String(value)}`,
    );
  }
  return value;
}
