import { freezeAll, type Module, type Strategy, type StrategyOptions, TunekitError } from "@tunekit/core";
import { cloneModuleTree } from "@tunekit/core/models";
import { mixSeeds } from "@tunekit/core/data";
import { AdapterFusionLayer } from "./adapter-fusion-layer.js";
import { adapterSites } from "./adapter-site.js";
import { headFresh, hiddenSizeOf, trainHead } from "./bottleneck-strategies.js";
import { type AdapterSetup, Fuse, fusionName, setupAdapterNames, setupFusions } from "./composition.js";

/**
 * Options of {@link adapterComposition} and {@link adapterFusion}.
 *
 * @example
 * ```ts
 * const o: AdapterCompositionOptions = { trainAdapters: ["task"], trainHead: false };
 * ```
 */
export interface AdapterCompositionOptions {
  /**
   * Adapters that keep training (default: every adapter of the setup when it has no
   * `Fuse`, none when it has one: AdapterFusion trains only the fusion layers).
   */
  readonly trainAdapters?: readonly string[];
  /** Train the fusion layers of the setup (default true). */
  readonly trainFusion?: boolean;
  /** Train the task head (`classifier`) too (default true). */
  readonly trainHead?: boolean;
  /** Seed of new fusion layers (default 0). */
  readonly seed?: number;
}

/**
 * Activates a composition of adapters the model already has (added by
 * `houlsbyAdapter` / `pfeifferAdapter` / `parallelAdapter` or loaded from files) at every
 * adapter site: one name, `Stack(a, b)` or `Fuse(a, b)`. New fusion layers are added where a
 * `Fuse` needs them (`adapter_fusion_layer.a,b`, value initialised to the identity). Every
 * parameter is frozen except the trained adapters, the fusion layers and the head.
 *
 * @example
 * ```ts
 * const both = pfeifferAdapter({ name: "task" }).apply(pfeifferAdapter({ name: "lang" }).apply(model));
 * const stacked = adapterComposition(Stack("lang", "task"), { trainAdapters: ["task"] }).apply(both);
 * ```
 */
export function adapterComposition(setup: AdapterSetup, options: AdapterCompositionOptions = {}): Strategy {
  const names = setupAdapterNames(setup);
  const fusions = setupFusions(setup);
  const trainAdapters = options.trainAdapters ?? (fusions.length > 0 ? [] : names);
  for (const n of trainAdapters) {
    if (!names.includes(n)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `trainAdapters names "${n}", which the setup does not use; the setup uses [${names.join(", ")}]`,
      );
    }
  }
  const resolved = Object.freeze({
    setup,
    trainAdapters: [...trainAdapters],
    trainFusion: options.trainFusion ?? true,
    trainHead: options.trainHead ?? true,
    seed: options.seed ?? 0,
  });
  return {
    method:
      fusions.length > 0 && typeof setup !== "string" && setup.kind === "fuse"
        ? "adapter-fusion"
        : "adapter-composition",
    options: resolved as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      const adapted = cloneModuleTree(model, {
        freshParameters: (path) =>
          headFresh(resolved.trainHead)(path) || trainAdapters.some((n) => path.includes(`.adapters.${n}.`)),
      });
      const sites = adapterSites(adapted);
      const known = new Set(sites.flatMap(([, s]) => s.adapters.names()));
      const missing = names.filter((n) => !known.has(n));
      if (missing.length > 0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `the model has no adapter named ${missing.map((n) => `"${n}"`).join(", ")}; it has [${[...known].join(", ")}]; add adapters first (e.g. pfeifferAdapter({ name: "${missing[0]}" }))`,
        );
      }
      const hidden = hiddenSizeOf(adapted);
      sites.forEach(([, site], i) => {
        for (const f of fusions) {
          const present = f.names.filter((n) => site.adapters.get(n));
          if (present.length === 0 || site.fusionLayers.get(fusionName(f))) continue;
          site.fusionLayers.set(fusionName(f), new AdapterFusionLayer(hidden, mixSeeds(resolved.seed, i)));
        }
        site.active = setup;
      });
      freezeAll(adapted);
      const trainedFusions = resolved.trainFusion ? fusions.map(fusionName) : [];
      for (const [path, p] of adapted.namedParameters()) {
        if (trainAdapters.some((n) => path.includes(`.adapters.${n}.`))) p.trainable = true;
        if (trainedFusions.some((n) => path.includes(`.adapter_fusion_layer.${n}.`))) p.trainable = true;
      }
      if (resolved.trainHead) trainHead(adapted);
      return adapted;
    },
  };
}

/**
 * AdapterFusion (Pfeiffer et al. 2021): attention over the outputs of the named (frozen)
 * adapters at every site, training only the fusion layers (and the head). Same as
 * `adapterComposition(Fuse(...names), options)`.
 *
 * @example
 * ```ts
 * const fused = adapterFusion(["sst2", "mnli"]).apply(modelWithBothAdapters);
 * ```
 */
export function adapterFusion(names: readonly string[], options: AdapterCompositionOptions = {}): Strategy {
  return adapterComposition(Fuse(...names), options);
}
