import type { Linear, Module } from "@tunekit/core";
import { cloneModuleTree } from "@tunekit/core/models";
import { isUnderModule, modulesToSavePaths } from "./modules-to-save.js";
import { findTargetLinears, type TargetSelection } from "./target-modules.js";

/**
 * What {@link injectAdapter} made.
 *
 * @example
 * ```ts
 * const { adapted, targetPaths, parameterPaths } = injectAdapter(model, spec);
 * ```
 */
export interface InjectedAdapter<M extends Module> {
  readonly adapted: M;
  /** Paths of the wrapped Linear modules. */
  readonly targetPaths: readonly string[];
  /** Paths of the `modules_to_save` copies (e.g. `classifier`). */
  readonly savedModulePaths: readonly string[];
  /** Paths of every parameter the adapter file stores (new adapter weights + saved modules). */
  readonly parameterPaths: readonly string[];
}

/**
 * The common part of every PEFT-style strategy's `apply`: a structural copy of `model`
 * (base Parameter objects shared and frozen), `modules_to_save` copies with fresh trainable
 * Parameter objects (so training never changes the base model's head), and every selected
 * Linear replaced by `wrap(path, linear)`. Parameters the wrappers add stay trainable.
 *
 * Validate, then build: the targets are found and every `check(path, linear)` runs on the
 * base model before anything is copied, frozen or allocated, so a bad option throws with the
 * base model untouched (its parameters keep their `trainable` flags).
 *
 * @example
 * ```ts
 * const { adapted } = injectAdapter(model, {
 *   selection: { targetModules: ["query"], method: "lora" },
 *   modulesToSave: ["classifier"],
 *   wrap: (_path, linear) => new LoraLinear(linear, options),
 * });
 * ```
 */
export function injectAdapter<M extends Module>(
  model: M,
  spec: {
    readonly selection: TargetSelection;
    readonly modulesToSave: readonly string[];
    readonly wrap: (path: string, base: Linear) => Module;
    /** Throws a `TunekitError` when the wrapper would not fit `base` (runs before anything is built). */
    readonly check?: (path: string, base: Linear) => void;
  },
): InjectedAdapter<M> {
  const savedModulePaths = modulesToSavePaths(model, spec.modulesToSave);
  const targetPaths = findTargetLinears(model, spec.selection).filter(
    (path) => !isUnderModule(path, savedModulePaths),
  );
  for (const path of targetPaths) spec.check?.(path, model.getSubmodule(path) as Linear);
  const adapted = cloneModuleTree(model, {
    freshParameters: (path) => isUnderModule(path, savedModulePaths),
  });
  for (const [path, p] of adapted.namedParameters()) p.trainable = isUnderModule(path, savedModulePaths);
  for (const path of targetPaths) {
    adapted.setSubmodule(path, spec.wrap(path, adapted.getSubmodule(path) as Linear));
  }
  const base = new Set(model.parameters());
  const parameterPaths = adapted
    .namedParameters()
    .filter(([, p]) => !base.has(p))
    .map(([path]) => path);
  return { adapted, targetPaths, savedModulePaths, parameterPaths };
}
