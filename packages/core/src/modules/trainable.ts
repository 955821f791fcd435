import { TunekitError } from "../errors.js";
import type { Module } from "./module.js";
import type { Parameter } from "./parameter.js";

/**
 * A parameter-name pattern: a RegExp (tested against the full name), or a string where
 * `*` matches any run of characters (dots included). A string also matches every
 * parameter below it as a module prefix: `"classifier"` matches `classifier.weight`.
 *
 * @example
 * ```ts
 * const p: NamePattern = "bert.encoder.layer.*.attention.self.query.*";
 * ```
 */
export type NamePattern = string | RegExp;

/**
 * Whether a full parameter name matches a {@link NamePattern}.
 *
 * @example
 * ```ts
 * matchesName("classifier.bias", "classifier"); // true
 * ```
 */
export function matchesName(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(name);
  }
  const body = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}(\\..*)?$`).test(name);
}

/**
 * Sets `trainable` on every parameter whose name matches one of `patterns`. Throws when a
 * pattern matches nothing (a typo would otherwise silently train the wrong thing).
 * Returns the parameters changed.
 *
 * @example
 * ```ts
 * freezeAll(model);
 * setTrainable(model, ["classifier", /attention\.self\.(query|value)/], true);
 * ```
 */
export function setTrainable(
  model: Module,
  patterns: readonly NamePattern[],
  trainable: boolean,
): Parameter[] {
  const named = model.namedParameters();
  const changed = new Set<Parameter>();
  for (const pattern of patterns) {
    let hits = 0;
    for (const [name, p] of named) {
      if (!matchesName(name, pattern)) continue;
      p.trainable = trainable;
      changed.add(p);
      hits++;
    }
    if (hits === 0) {
      const sample = named
        .slice(0, 3)
        .map(([n]) => n)
        .join(", ");
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `setTrainable: pattern ${String(pattern)} matches no parameter (names look like: ${sample}, …); ` +
          "use `*` as a wildcard or a RegExp",
      );
    }
  }
  return [...changed];
}

/**
 * Marks every parameter of `model` frozen (`trainable = false`).
 *
 * @example
 * ```ts
 * freezeAll(model);
 * ```
 */
export function freezeAll(model: Module): void {
  for (const p of model.parameters()) p.trainable = false;
}

/**
 * Marks every parameter of `model` trainable.
 *
 * @example
 * ```ts
 * unfreezeAll(model);
 * ```
 */
export function unfreezeAll(model: Module): void {
  for (const p of model.parameters()) p.trainable = true;
}

/**
 * The trainable parameters of `model`, in {@link Module.namedParameters} order.
 *
 * @example
 * ```ts
 * const wrt = trainableParameters(model);
 * ```
 */
export function trainableParameters(model: Module): Parameter[] {
  return model.parameters().filter((p) => p.trainable);
}
