import type { Module, Strategy } from "@tunekit/core";
import { TunekitError } from "@tunekit/core";
import { recordAdapter } from "../peft/adapter-record.js";
import { injectAdapter } from "../peft/inject-adapter.js";
import { DEFAULT_MODULES_TO_SAVE } from "../peft/modules-to-save.js";
import {
  checkLayersWithTargets,
  layerRestrictedTargets,
  matchesTargetModule,
  type TargetModules,
  targetModulesToJson,
} from "../peft/target-modules.js";
import { Ia3Linear } from "./ia3-linear.js";
import { adapterTaskFields } from "../peft/peft-task-type.js";
import { fanInFanOut } from "../peft/decoder-defaults.js";
import { peftDefaultsFor } from "../peft/encoder-defaults.js";

/**
 * Options of {@link ia3} (PEFT's `IA3Config` names in camelCase).
 *
 * @example
 * ```ts
 * const o: Ia3Options = { targetModules: ["key", "value", "output.dense"], feedforwardModules: ["output.dense"] };
 * ```
 */
export interface Ia3Options {
  /** Linear modules to scale (default `["key", "value", "output.dense"]`, PEFT's BERT default). */
  readonly targetModules?: TargetModules;
  /** Which targets are feed-forward: their INPUT is scaled (default `["output.dense"]`). */
  readonly feedforwardModules?: TargetModules;
  /** Only these layer indices (default: all). */
  readonly layersToTransform?: number | readonly number[];
  /** Modules trained fully and stored in the adapter file (default `["classifier"]`). */
  readonly modulesToSave?: readonly string[];
}

/**
 * {@link Ia3Options} with defaults, JSON-serialisable.
 *
 * @example
 * ```ts
 * ia3().options.feedforwardModules; // ["output.dense"]
 * ```
 */
export interface ResolvedIa3Options {
  readonly targetModules: readonly string[] | string;
  readonly feedforwardModules: readonly string[] | string;
  readonly layersToTransform: readonly number[] | null;
  readonly modulesToSave: readonly string[];
  readonly [key: string]: unknown;
}

/**
 * PEFT's BERT default IA3 `target_modules`.
 *
 * @example
 * ```ts
 * ia3({ targetModules: DEFAULT_IA3_TARGET_MODULES });
 * ```
 */
export const DEFAULT_IA3_TARGET_MODULES: readonly string[] = Object.freeze(["key", "value", "output.dense"]);
/**
 * PEFT's BERT default IA3 `feedforward_modules` (input-scaled targets).
 *
 * @example
 * ```ts
 * ia3({ feedforwardModules: DEFAULT_IA3_FEEDFORWARD_MODULES });
 * ```
 */
export const DEFAULT_IA3_FEEDFORWARD_MODULES: readonly string[] = Object.freeze(["output.dense"]);

/**
 * `adapter_config.json` of an IA3 adapter (PEFT's `IA3Config` fields).
 *
 * @example
 * ```ts
 * ia3PeftConfig(ia3().options).peft_type; // "IA3"
 * ```
 */
export function ia3PeftConfig(o: ResolvedIa3Options): Record<string, unknown> {
  // PEFT's IA3Config has no layers_to_transform (a key it warns about and ignores): a layer
  // limit is written into target_modules as one regular expression instead
  const layers = o.layersToTransform;
  return {
    peft_type: "IA3",
    task_type: "SEQ_CLS",
    target_modules:
      layers === null || !Array.isArray(o.targetModules)
        ? o.targetModules
        : layerRestrictedTargets(o.targetModules, layers),
    feedforward_modules: o.feedforwardModules,
    modules_to_save: o.modulesToSave.length > 0 ? o.modulesToSave : null,
    fan_in_fan_out: false,
    init_ia3_weights: true,
    inference_mode: false,
    base_model_name_or_path: null,
    revision: null,
  };
}

/** Without `feedforwardModules`: the default ones that are among the targets (PEFT requires a subset). */
function defaultFeedforward(options: Ia3Options): string | string[] {
  if (options.feedforwardModules !== undefined) return targetModulesToJson(options.feedforwardModules);
  const targets = targetModulesToJson(options.targetModules ?? DEFAULT_IA3_TARGET_MODULES);
  const defaults = targetModulesToJson(DEFAULT_IA3_FEEDFORWARD_MODULES);
  return Array.isArray(targets) && Array.isArray(defaults)
    ? defaults.filter((m) => targets.includes(m))
    : defaults;
}

/**
 * (IA)³ (Liu et al., 2022): learned vectors rescale the key and value projections' outputs
 * and the feed-forward output layer's input, as PEFT does for BERT. Note PEFT's suffix
 * matching: `"output.dense"` selects both `attention.output.dense` and the layer's
 * `output.dense`, and both are feed-forward (input-scaled). Vectors start at ones (outputs
 * unchanged); the base is frozen; the head (`modulesToSave`) trains as a copy.
 *
 * @example
 * ```ts
 * const adapted = ia3().apply(model);
 * ```
 */
export function ia3(options: Ia3Options = {}): Strategy & { readonly options: ResolvedIa3Options } {
  const layers = options.layersToTransform;
  const o: ResolvedIa3Options = {
    targetModules: targetModulesToJson(options.targetModules ?? DEFAULT_IA3_TARGET_MODULES),
    feedforwardModules: defaultFeedforward(options),
    layersToTransform: layers === undefined ? null : typeof layers === "number" ? [layers] : [...layers],
    modulesToSave: [...(options.modulesToSave ?? DEFAULT_MODULES_TO_SAVE)],
  };
  if (o.layersToTransform?.some((i) => !Number.isInteger(i) || i < 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `ia3: layersToTransform must be non-negative integers, got ${JSON.stringify(layers)}`,
    );
  }
  checkLayersWithTargets("ia3", o.targetModules, o.layersToTransform);
  // Python PEFT's IA3Config raises unless feedforward_modules ⊆ target_modules (when both are lists)
  if (Array.isArray(o.feedforwardModules) && Array.isArray(o.targetModules)) {
    const extra = o.feedforwardModules.filter((m) => !o.targetModules.includes(m));
    if (extra.length > 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `ia3: feedforwardModules must be a subset of targetModules (as Python PEFT's IA3Config requires); ` +
          `${JSON.stringify(extra)} not in ${JSON.stringify(o.targetModules)}: add them to targetModules`,
      );
    }
  }
  const strategy = {
    method: "ia3",
    options: o,
    apply<M extends Module>(model: M): M {
      // PEFT's per-model_type defaults (the model reports its architecture) when none were given
      const defaults = peftDefaultsFor(model);
      const saved =
        options.modulesToSave === undefined && defaults?.modulesToSave !== undefined
          ? { ...o, modulesToSave: [...defaults.modulesToSave] }
          : o;
      const effective: ResolvedIa3Options =
        options.targetModules === undefined && defaults !== undefined
          ? {
              ...saved,
              targetModules: [...defaults.ia3],
              feedforwardModules:
                options.feedforwardModules === undefined
                  ? [...defaults.ia3Feedforward]
                  : o.feedforwardModules,
            }
          : saved;
      const injected = injectAdapter(model, {
        selection: {
          targetModules: effective.targetModules,
          layersToTransform: o.layersToTransform ?? undefined,
          method: "ia3",
        },
        modulesToSave: effective.modulesToSave,
        wrap: (path, base) => new Ia3Linear(base, isFeedforward(path, effective.feedforwardModules)),
      });
      recordAdapter(injected.adapted, {
        peftType: "IA3",
        strategy,
        config: {
          ...ia3PeftConfig(effective),
          fan_in_fan_out: fanInFanOut(model, injected.targetPaths),
          ...adapterTaskFields(model, injected.savedModulePaths, effective.modulesToSave),
        },
        parameterPaths: injected.parameterPaths,
      });
      return injected.adapted;
    },
  };
  return strategy;
}

/**
 * Whether the IA3 target at `path` is feed-forward (input-scaled). PEFT:
 * `any(key.endswith(t) for t in feedforward_modules)` (a string: full-match regex).
 *
 * @example
 * ```ts
 * isFeedforward("bert.encoder.layer.0.output.dense", ["output.dense"]); // true
 * ```
 */
export function isFeedforward(path: string, ff: readonly string[] | string): boolean {
  if (typeof ff === "string") return matchesTargetModule(path, ff);
  return ff.some((t) => path.endsWith(t));
}
