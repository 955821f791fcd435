import type { Module } from "@tunekit/core";

/**
 * The module paths PEFT's `modules_to_save` selects: a module whose path equals a name or
 * ends with `.<name>` (e.g. `classifier`). Names that match nothing are ignored, as in
 * PEFT (its sequence-classification default lists both `classifier` and `score`).
 *
 * @example
 * ```ts
 * modulesToSavePaths(model, ["classifier"]); // ["classifier"]
 * ```
 */
export function modulesToSavePaths(model: Module, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const [path] of model.namedModules()) {
    if (path === "" || out.some((p) => path.startsWith(`${p}.`))) continue;
    if (names.some((n) => path === n || path.endsWith(`.${n}`))) out.push(path);
  }
  return out;
}

/**
 * Whether a full parameter path lies under one of the module paths `prefixes`.
 *
 * @example
 * ```ts
 * isUnderModule("classifier.weight", ["classifier"]); // true
 * ```
 */
export function isUnderModule(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`));
}

/**
 * The default `modules_to_save` for sequence classification (PEFT's SEQ_CLS heads).
 *
 * @example
 * ```ts
 * lora({ modulesToSave: [...DEFAULT_MODULES_TO_SAVE, "pooler"] });
 * ```
 */
export const DEFAULT_MODULES_TO_SAVE: readonly string[] = Object.freeze(["classifier"]);
