import { type Module, type Strategy, TunekitError } from "@tunekit/core";
import {
  cloneModuleTree,
  filledTensor,
  matchesName,
  type NamePattern,
  normalTensor,
} from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";
import { isUnderModule, modulesToSavePaths } from "./peft/modules-to-save.js";
import { peftDefaultsFor } from "./peft/encoder-defaults.js";

/**
 * Options shared by the freezing strategies.
 *
 * @example
 * ```ts
 * const o: FreezeOptions = { head: ["classifier"] };
 * ```
 */
export interface FreezeOptions {
  /** Head modules, always trained (default `["classifier"]`, DistilBERT `["pre_classifier", "classifier"]`;
   * names as `modules_to_save`). */
  readonly head?: readonly string[];
}

/**
 * The common transform of the freezing strategies: a structural copy whose TRAINED
 * parameters are fresh `Parameter` objects (same values), so training never changes the
 * base model; the rest are the base's own Parameter objects, frozen.
 *
 * @example
 * ```ts
 * const adapted = trainOnly(model, (path) => path.endsWith(".bias"), ["classifier"]);
 * ```
 */
export function trainOnly<M extends Module>(
  model: M,
  isTrained: (path: string) => boolean,
  head: readonly string[],
): M {
  const heads = modulesToSavePaths(model, head);
  const trained = (path: string): boolean => isTrained(path) || isUnderModule(path, heads);
  const adapted = cloneModuleTree(model, { freshParameters: (path) => trained(path) });
  for (const [path, p] of adapted.namedParameters()) p.trainable = trained(path);
  return adapted;
}

const HEAD = ["classifier"] as const;

/** The head a model's architecture trains by default: DistilBERT's `pre_classifier` too. */
function defaultHead(model: Module): readonly string[] {
  return peftDefaultsFor(model)?.modulesToSave ?? HEAD;
}

function make<O extends Record<string, unknown>>(
  method: string,
  options: O,
  isTrained: (path: string, model: Module) => boolean,
  head: readonly string[] | undefined,
): Strategy & { readonly options: O } {
  return {
    method,
    options,
    apply<M extends Module>(model: M): M {
      return trainOnly(model, (path) => isTrained(path, model), head ?? defaultHead(model));
    },
  };
}

/**
 * Full fine-tuning: every parameter trains (as fresh Parameter objects, so the base model
 * keeps its values).
 *
 * @example
 * ```ts
 * const adapted = fullFineTuning().apply(model);
 * ```
 */
export function fullFineTuning(): Strategy {
  return make("full", {}, () => true, []);
}

/**
 * Head-only training (linear probing): the encoder is frozen, only the head trains. With
 * `reinitialize`, the head starts from new normal(0, `std`) weights and zero biases.
 *
 * @example
 * ```ts
 * const adapted = headOnly({ reinitialize: true, seed: 1 }).apply(model);
 * ```
 */
export function headOnly(
  options: FreezeOptions & {
    readonly reinitialize?: boolean;
    readonly seed?: number;
    readonly std?: number;
  } = {},
): Strategy {
  const o = {
    head: [...(options.head ?? HEAD)],
    reinitialize: options.reinitialize ?? false,
    seed: options.seed ?? 0,
    std: options.std ?? 0.02,
  };
  return {
    method: "head-only",
    options: o,
    apply<M extends Module>(model: M): M {
      const head = options.head ?? defaultHead(model);
      const heads = modulesToSavePaths(model, head);
      if (heads.length === 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `headOnly: no module named ${JSON.stringify(head)} in the model; pass head: [...]`,
        );
      }
      const adapted = trainOnly(model, () => false, head);
      if (o.reinitialize) reinitializeHead(adapted, heads, o.seed, o.std);
      return adapted;
    },
  };
}

/**
 * Trains the last `n` encoder layers (`…layer.<i>.` with the `n` highest indices), the
 * pooler (unless `includePooler: false`) and the head; everything else is frozen.
 *
 * @example
 * ```ts
 * const adapted = lastNLayers(2).apply(model); // layers 10 and 11 of a 12-layer BERT
 * ```
 */
export function lastNLayers(
  n: number,
  options: FreezeOptions & { readonly includePooler?: boolean } = {},
): Strategy {
  if (!Number.isInteger(n) || n < 0) {
    throw new TunekitError("INVALID_ARGUMENT", `lastNLayers: n must be a non-negative integer, got ${n}`);
  }
  const includePooler = options.includePooler ?? true;
  return make(
    "last-n-layers",
    { n, includePooler, head: [...(options.head ?? HEAD)] },
    (path, model) => {
      const count = layerCount(model);
      if (n > count) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `lastNLayers: n = ${n} but the model has ${count} encoder layers`,
        );
      }
      const m = /(^|\.)layer\.(\d+)\./.exec(path);
      if (m) return Number(m[2]) >= count - n;
      return includePooler && /(^|\.)pooler\./.test(path);
    },
    options.head,
  );
}

/**
 * Trains the parameters whose full names match any pattern (`*` wildcards or RegExps, as
 * core's `setTrainable`) plus the head; throws when a pattern matches nothing.
 *
 * @example
 * ```ts
 * const adapted = trainableByPattern(["bert.embeddings.*", /LayerNorm/]).apply(model);
 * ```
 */
export function trainableByPattern(patterns: readonly NamePattern[], options: FreezeOptions = {}): Strategy {
  return {
    method: "pattern",
    options: {
      patterns: patterns.map((p) => (p instanceof RegExp ? p.source : p)),
      head: [...(options.head ?? HEAD)],
    },
    apply<M extends Module>(model: M): M {
      const names = model.namedParameters().map(([n]) => n);
      for (const p of patterns) {
        if (!names.some((n) => matchesName(n, p))) {
          throw new TunekitError(
            "INVALID_ARGUMENT",
            `trainableByPattern: pattern ${String(p)} matches no parameter (names look like: ${names.slice(0, 3).join(", ")}, …)`,
          );
        }
      }
      return trainOnly(
        model,
        (path) => patterns.some((p) => matchesName(path, p)),
        options.head ?? defaultHead(model),
      );
    },
  };
}

function layerCount(model: Module): number {
  let count = 0;
  for (const [path] of model.namedModules()) {
    const m = /(^|\.)layer\.(\d+)$/.exec(path);
    if (m) count = Math.max(count, Number(m[2]) + 1);
  }
  return count;
}

function reinitializeHead(model: Module, heads: readonly string[], seed: number, std: number): void {
  const rng = mulberry32(seed);
  for (const [path, p] of model.namedParameters()) {
    if (!isUnderModule(path, heads)) continue;
    p.value = path.endsWith("bias") ? filledTensor(p.value.shape, 0) : normalTensor(p.value.shape, rng, std);
  }
}
