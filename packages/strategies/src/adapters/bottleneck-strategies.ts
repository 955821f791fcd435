import { freezeAll, type Module, type Strategy, type StrategyOptions, TunekitError } from "@tunekit/core";
import { BertModel, cloneModuleTree } from "@tunekit/core/models";
import { mixSeeds } from "@tunekit/core/data";
import { AdapterSite, type AdapterSiteKind, adapterSites, bertLayerPaths } from "./adapter-site.js";
import { type AdapterNonLinearity, type AdapterPlacement, BottleneckAdapter } from "./bottleneck-adapter.js";
import { checkAdapterName } from "./composition.js";

/**
 * The three bottleneck-adapter architectures.
 *
 * @example
 * ```ts
 * const arch: AdapterArchitecture = "houlsby";
 * ```
 */
export type AdapterArchitecture = "houlsby" | "pfeiffer" | "parallel";

/**
 * Options of {@link houlsbyAdapter}, {@link pfeifferAdapter} and {@link parallelAdapter}.
 *
 * @example
 * ```ts
 * const o: BottleneckOptions = { name: "sst2", reductionFactor: 8, nonLinearity: "gelu" };
 * ```
 */
export interface BottleneckOptions {
  /** Adapter name, a parameter-path segment (default `"adapter"`). */
  readonly name?: string;
  /** Bottleneck width = `floor(hidden / reductionFactor)` (default 16; parallel: 2). */
  readonly reductionFactor?: number;
  /** Default `swish` (Houlsby) or `relu` (Pfeiffer, parallel). */
  readonly nonLinearity?: AdapterNonLinearity;
  /** Output scale (default 1; parallel: 4, as AdapterHub's `ParBnConfig`). */
  readonly scaling?: number;
  /** Std of the normal init of `adapter_down` (default 1e-2); `adapter_up` starts at zero. */
  readonly initStd?: number;
  /** Seed of the init (default 0). */
  readonly seed?: number;
  /** Train the task head (`classifier`) too (default true, as AdapterHub trains heads). */
  readonly trainHead?: boolean;
  /**
   * AdapterHub's `ln_after` (with `residual_before_ln: false`): a LayerNorm
   * `adapter_norm_after` on each adapter's output before the residual (default false).
   */
  readonly lnAfter?: boolean;
}

/**
 * The resolved options a bottleneck strategy records (JSON).
 *
 * @example
 * ```ts
 * (houlsbyAdapter().options as unknown as ResolvedBottleneckOptions).reductionFactor; // 16
 * ```
 */
export interface ResolvedBottleneckOptions {
  readonly architecture: AdapterArchitecture;
  readonly name: string;
  readonly reductionFactor: number;
  readonly nonLinearity: AdapterNonLinearity;
  readonly scaling: number;
  readonly initStd: number;
  readonly seed: number;
  readonly trainHead: boolean;
  readonly lnAfter: boolean;
}

/**
 * What one bottleneck architecture means: its default reduction factor, non-linearity and
 * scaling, the sites in each layer that get an adapter, and whether an adapter sits in series
 * or in parallel (an entry of {@link ADAPTER_ARCHITECTURES}).
 *
 * @example
 * ```ts
 * const spec: AdapterArchitectureSpec = ADAPTER_ARCHITECTURES.pfeiffer;
 * spec.sites; // the output site only
 * ```
 */
export interface AdapterArchitectureSpec {
  readonly reductionFactor: number;
  readonly nonLinearity: AdapterNonLinearity;
  readonly scaling: number;
  readonly sites: readonly AdapterSiteKind[];
  readonly placement: AdapterPlacement;
}

/**
 * Defaults and sites of each architecture (AdapterHub DoubleSeqBn / SeqBn / ParBn).
 *
 * @example
 * ```ts
 * ADAPTER_ARCHITECTURES.parallel.scaling; // 4
 * ```
 */
export const ADAPTER_ARCHITECTURES: Readonly<Record<AdapterArchitecture, AdapterArchitectureSpec>> =
  Object.freeze({
    houlsby: {
      reductionFactor: 16,
      nonLinearity: "swish",
      scaling: 1,
      sites: ["attention.output", "output"],
      placement: "sequential",
    },
    pfeiffer: {
      reductionFactor: 16,
      nonLinearity: "relu",
      scaling: 1,
      sites: ["output"],
      placement: "sequential",
    },
    parallel: {
      reductionFactor: 2,
      nonLinearity: "relu",
      scaling: 4,
      sites: ["output"],
      placement: "parallel",
    },
  });

/**
 * Houlsby et al. (2019) adapters: one bottleneck adapter after the attention output
 * projection and one after the feed-forward output of every layer, each added to the
 * sub-layer output before the pre-trained residual LayerNorm. Defaults as AdapterHub's
 * `houlsby` (`DoubleSeqBnConfig`): reduction factor 16, swish. Only the adapters (and the
 * head) train; a fresh adapter is an exact no-op.
 *
 * @example
 * ```ts
 * const adapted = houlsbyAdapter({ name: "sst2", reductionFactor: 16 }).apply(model);
 * ```
 */
export function houlsbyAdapter(options: BottleneckOptions = {}): Strategy {
  return bottleneckAdapter("houlsby", options);
}

/**
 * Pfeiffer et al. (2021) adapters: one bottleneck adapter after the feed-forward output of
 * every layer (AdapterHub's `pfeiffer` / `SeqBnConfig` defaults: reduction factor 16, relu).
 * Placed like Houlsby's output adapter, before the pre-trained residual LayerNorm, so a
 * fresh adapter is an exact no-op (AdapterHub's `original_ln_before` variant, which re-applies
 * the pre-trained LayerNorm, is not reproduced).
 *
 * @example
 * ```ts
 * const adapted = pfeifferAdapter({ name: "sst2" }).apply(model);
 * ```
 */
export function pfeifferAdapter(options: BottleneckOptions = {}): Strategy {
  return bottleneckAdapter("pfeiffer", options);
}

/**
 * He et al. (2022) parallel adapters: a bottleneck adapter reading the feed-forward block's
 * INPUT, its scaled output added to the feed-forward output before the residual LayerNorm
 * (AdapterHub's `par` / `ParBnConfig` defaults: reduction factor 2, relu, scaling 4).
 *
 * @example
 * ```ts
 * const adapted = parallelAdapter({ reductionFactor: 4, scaling: 4 }).apply(model);
 * ```
 */
export function parallelAdapter(options: BottleneckOptions = {}): Strategy {
  return bottleneckAdapter("parallel", options);
}

/**
 * A bottleneck-adapter strategy of any architecture (what the three helpers call; the
 * adapter file loader rebuilds strategies with it).
 *
 * @example
 * ```ts
 * const s = bottleneckAdapter("pfeiffer", { name: "task", reductionFactor: 8 });
 * ```
 */
export function bottleneckAdapter(
  architecture: AdapterArchitecture,
  options: BottleneckOptions = {},
): Strategy {
  const spec = ADAPTER_ARCHITECTURES[architecture];
  if (!spec) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `unknown adapter architecture ${JSON.stringify(architecture)}; expected houlsby, pfeiffer or parallel`,
    );
  }
  const resolved: ResolvedBottleneckOptions = Object.freeze({
    architecture,
    name: options.name ?? "adapter",
    reductionFactor: options.reductionFactor ?? spec.reductionFactor,
    nonLinearity: options.nonLinearity ?? spec.nonLinearity,
    scaling: options.scaling ?? spec.scaling,
    initStd: options.initStd ?? 1e-2,
    seed: options.seed ?? 0,
    trainHead: options.trainHead ?? true,
    lnAfter: options.lnAfter ?? false,
  });
  checkAdapterName(resolved.name);
  return {
    method: `${architecture}-adapter`,
    options: resolved as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      const adapted = cloneModuleTree(model, { freshParameters: headFresh(resolved.trainHead) });
      const hidden = hiddenSizeOf(adapted);
      bertLayerPaths(adapted).forEach((layerPath, i) => {
        spec.sites.forEach((kind, k) => {
          const site = AdapterSite.wrap(adapted, `${layerPath}.${kind}`);
          if (site.adapters.get(resolved.name)) {
            throw new TunekitError(
              "INVALID_ARGUMENT",
              `the model already has an adapter "${resolved.name}" at ${layerPath}.${kind}; give the new adapter another name`,
            );
          }
          site.adapters.set(
            resolved.name,
            new BottleneckAdapter({
              hiddenSize: hidden,
              reductionFactor: resolved.reductionFactor,
              nonLinearity: resolved.nonLinearity,
              scaling: resolved.scaling,
              placement: spec.placement,
              initStd: resolved.initStd,
              seed: mixSeeds(resolved.seed, i, k),
              lnAfter: resolved.lnAfter,
            }),
          );
        });
      });
      for (const [, site] of adapterSites(adapted)) site.active = resolved.name;
      freezeAll(adapted);
      for (const [path, p] of adapted.namedParameters()) {
        if (path.includes(`.adapters.${resolved.name}.`)) p.trainable = true;
      }
      if (resolved.trainHead) trainHead(adapted);
      return adapted;
    },
  };
}

/**
 * The hidden size of the BERT model inside `model`.
 *
 * @example
 * ```ts
 * hiddenSizeOf(model); // 768
 * ```
 */
export function hiddenSizeOf(model: Module): number {
  return bertModelOf(model).config.hiddenSize;
}

/**
 * The `BertModel` inside `model` (the model itself or its `bert` child).
 *
 * @example
 * ```ts
 * bertModelOf(classifier).config.numHiddenLayers;
 * ```
 */
export function bertModelOf(model: Module): BertModel {
  const found = model.namedModules().find(([, m]) => m instanceof BertModel);
  if (!found) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model.constructor.name} contains no BertModel; this strategy adapts BERT models (BertModel, BertForSequenceClassification, BertForTokenClassification)`,
    );
  }
  return found[1] as BertModel;
}

/**
 * The `freshParameters` predicate of `cloneModuleTree` for a strategy that trains the head:
 * the head gets its own `Parameter` objects, so training (or loading) it never changes the
 * model the strategy was applied to.
 *
 * @example
 * ```ts
 * const adapted = cloneModuleTree(model, { freshParameters: headFresh(true) });
 * ```
 */
export function headFresh(trainHead: boolean): (path: string) => boolean {
  return (path) => trainHead && (path.startsWith("classifier.") || /^heads\.[^.]+\.classifier\./.test(path));
}

/**
 * Makes the task head (`classifier`, when the model has one) trainable, or every task's head
 * (`heads.<task>.classifier`) of a multi-task model.
 *
 * @example
 * ```ts
 * trainHead(adapted);
 * ```
 */
export function trainHead(model: Module): void {
  for (const name of ["classifier", "heads"]) {
    const head = model.namedChildren().find(([n]) => n === name)?.[1];
    if (head) for (const p of head.parameters()) p.trainable = true;
  }
}
