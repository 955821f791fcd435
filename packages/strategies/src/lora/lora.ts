import { type Linear, type Module, type Strategy, TunekitError } from "@tunekit/core";
import { mulberry32 } from "@tunekit/core/data";
import { recordAdapter } from "../peft/adapter-record.js";
import { injectAdapter } from "../peft/inject-adapter.js";
import { DEFAULT_MODULES_TO_SAVE } from "../peft/modules-to-save.js";
import { type TargetModules, targetModulesToJson, checkLayersWithTargets } from "../peft/target-modules.js";
import { LoraLinear } from "./lora-linear.js";
import { adapterTaskFields } from "../peft/peft-task-type.js";
import { fanInFanOut } from "../peft/decoder-defaults.js";
import { peftDefaultsFor } from "../peft/encoder-defaults.js";

/**
 * Options of {@link lora} (PEFT's `LoraConfig` names in camelCase).
 *
 * @example
 * ```ts
 * const o: LoraOptions = { r: 8, alpha: 16, dropout: 0.1, targetModules: ["query", "value"] };
 * ```
 */
export interface LoraOptions {
  /** Rank of the update (default 8). */
  readonly r?: number;
  /** `lora_alpha`: the update is scaled by `alpha / r` (default 8, as PEFT). */
  readonly alpha?: number;
  /** Dropout on the adapter's input during training (default 0). */
  readonly dropout?: number;
  /**
   * Linear modules to adapt (default: PEFT's default for the model, `["query", "value"]` for
   * BERT / RoBERTa / XLM-RoBERTa / ELECTRA, `q_lin`/`v_lin` for DistilBERT, `q_proj`/`v_proj`
   * for Llama / Mistral / Qwen2, `c_attn` for GPT-2).
   */
  readonly targetModules?: TargetModules;
  /** Only these layer indices (default: all layers). */
  readonly layersToTransform?: number | readonly number[];
  /** rsLoRA: scale by `alpha / √r` (default false). */
  readonly useRslora?: boolean;
  /** DoRA: learn a per-output magnitude vector too (default false). */
  readonly useDora?: boolean;
  /** Modules trained fully and stored in the adapter file (default `["classifier"]`;
   * DistilBERT: `["pre_classifier", "classifier"]`). */
  readonly modulesToSave?: readonly string[];
  /** Seed of `A`'s initialisation (default 0). */
  readonly seed?: number;
}

/**
 * {@link LoraOptions} with defaults filled in, JSON-serialisable (`targetModules` is a list
 * of names or one regular-expression string).
 *
 * @example
 * ```ts
 * const o: ResolvedLoraOptions = lora({ r: 4 }).options;
 * ```
 */
export interface ResolvedLoraOptions {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly targetModules: readonly string[] | string;
  readonly layersToTransform: readonly number[] | null;
  readonly useRslora: boolean;
  readonly useDora: boolean;
  readonly modulesToSave: readonly string[];
  readonly seed: number;
  readonly [key: string]: unknown;
}

/**
 * PEFT's default `target_modules` for BERT LoRA.
 *
 * @example
 * ```ts
 * lora({ targetModules: [...DEFAULT_LORA_TARGET_MODULES, "key"] });
 * ```
 */
export const DEFAULT_LORA_TARGET_MODULES: readonly string[] = Object.freeze(["query", "value"]);

/**
 * Fills defaults and validates {@link LoraOptions}; throws `INVALID_ARGUMENT` naming the
 * bad option.
 *
 * @example
 * ```ts
 * resolveLoraOptions({ r: 16 }).alpha; // 8
 * ```
 */
export function resolveLoraOptions(options: LoraOptions = {}): ResolvedLoraOptions {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new TunekitError("INVALID_ARGUMENT", `lora: ${name} must be ${want}, got ${JSON.stringify(got)}`);
  };
  const r = options.r ?? 8;
  if (!Number.isInteger(r) || r < 1) bad("r", "a positive integer", r);
  const alpha = options.alpha ?? 8;
  if (!Number.isFinite(alpha)) bad("alpha", "a finite number", alpha);
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) bad("dropout", "in [0, 1)", dropout);
  const layers = options.layersToTransform;
  const layerList = layers === undefined ? null : typeof layers === "number" ? [layers] : [...layers];
  if (layerList?.some((i) => !Number.isInteger(i) || i < 0))
    bad("layersToTransform", "non-negative integers", layers);
  const targets = targetModulesToJson(options.targetModules ?? DEFAULT_LORA_TARGET_MODULES);
  if (Array.isArray(targets) && targets.length === 0)
    bad("targetModules", "a non-empty list or a RegExp", targets);
  checkLayersWithTargets("lora", targets, layerList);
  return {
    r,
    alpha,
    dropout,
    targetModules: targets,
    layersToTransform: layerList,
    useRslora: options.useRslora ?? false,
    useDora: options.useDora ?? false,
    modulesToSave: [...(options.modulesToSave ?? DEFAULT_MODULES_TO_SAVE)],
    seed: options.seed ?? 0,
  };
}

/**
 * `adapter_config.json` of a LoRA adapter (PEFT's `LoraConfig` fields).
 *
 * @example
 * ```ts
 * loraPeftConfig(lora({ r: 8 }).options).peft_type; // "LORA"
 * ```
 */
export function loraPeftConfig(o: ResolvedLoraOptions): Record<string, unknown> {
  return {
    peft_type: "LORA",
    task_type: "SEQ_CLS",
    r: o.r,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    target_modules: o.targetModules,
    layers_to_transform: o.layersToTransform,
    layers_pattern: null,
    use_rslora: o.useRslora,
    use_dora: o.useDora,
    modules_to_save: o.modulesToSave.length > 0 ? o.modulesToSave : null,
    bias: "none",
    fan_in_fan_out: false,
    init_lora_weights: true,
    rank_pattern: {},
    alpha_pattern: {},
    inference_mode: false,
    base_model_name_or_path: null,
    revision: null,
  };
}

/**
 * LoRA (Hu et al., 2021) and its variants rsLoRA (`useRslora`) and DoRA (`useDora`): each
 * target Linear gets a trainable low-rank update `scale·B·A` (see `LoraLinear`); the base
 * model is frozen and the head (`modulesToSave`, default `classifier`) is trained as a
 * copy. A fresh adapter leaves outputs unchanged (B = 0). `apply` returns a new tree; the
 * base model keeps its modules and values (its frozen Parameter objects are shared).
 *
 * @example
 * ```ts
 * const adapted = lora({ r: 8, alpha: 16, targetModules: ["query", "value"] }).apply(model);
 * await saveAdapter(adapted, "./adapter"); // PEFT adapter_config.json + adapter_model.safetensors
 * ```
 */
export function lora(options: LoraOptions = {}): Strategy & { readonly options: ResolvedLoraOptions } {
  const o = resolveLoraOptions(options);
  const strategy = {
    method: "lora",
    options: o,
    apply<M extends Module>(model: M): M {
      const rng = mulberry32(o.seed);
      // PEFT's per-model_type defaults (the model reports its architecture) when none were given
      const defaults = peftDefaultsFor(model);
      const targetModules =
        options.targetModules === undefined && defaults !== undefined ? [...defaults.lora] : o.targetModules;
      const modulesToSave =
        options.modulesToSave === undefined && defaults?.modulesToSave !== undefined
          ? [...defaults.modulesToSave]
          : o.modulesToSave;
      const injected = injectAdapter(model, {
        selection: {
          targetModules,
          layersToTransform: o.layersToTransform ?? undefined,
          method: "lora",
        },
        modulesToSave,
        check: (path, base) => checkLoraSize(o.r, path, base),
        wrap: (_path, base) =>
          new LoraLinear(base, {
            r: o.r,
            alpha: o.alpha,
            dropout: o.dropout,
            useRslora: o.useRslora,
            useDora: o.useDora,
            rng,
          }),
      });
      recordAdapter(injected.adapted, {
        peftType: "LORA",
        strategy,
        config: {
          ...loraPeftConfig({ ...o, modulesToSave }),
          target_modules: targetModules,
          fan_in_fan_out: fanInFanOut(model, injected.targetPaths),
          ...adapterTaskFields(model, injected.savedModulePaths, modulesToSave),
        },
        parameterPaths: injected.parameterPaths,
      });
      return injected.adapted;
    },
  };
  return strategy;
}

/** Most adapter weights one LoRA layer may allocate (2^28 floats, 1 GiB). */
const MAX_LORA_LAYER_WEIGHTS = 2 ** 28;

/** Refuses a rank whose A and B matrices (`r · (in + out)` weights) would not fit in memory. */
function checkLoraSize(r: number, path: string, base: Linear): void {
  const weights = r * (base.inFeatures + base.outFeatures);
  if (weights > MAX_LORA_LAYER_WEIGHTS) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `lora: r ${r} gives ${weights.toExponential(2)} adapter weights for ${path} (in ${base.inFeatures}, out ${base.outFeatures}); ` +
        `expected at most ${MAX_LORA_LAYER_WEIGHTS.toExponential(2)} per layer: use a rank below min(in, out) = ${Math.min(base.inFeatures, base.outFeatures)}`,
    );
  }
}
