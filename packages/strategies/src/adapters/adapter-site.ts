import { type ForwardContext, Module, type Tensor, TunekitError } from "@tunekit/core";
import { add } from "@tunekit/core/ir";
import { BertLayer, EVAL_CONTEXT, type Layer } from "@tunekit/core/models";
import type { AdapterFusionLayer } from "./adapter-fusion-layer.js";
import type { BottleneckAdapter } from "./bottleneck-adapter.js";
import { type AdapterSetup, type FuseBlock, fusionName } from "./composition.js";

/**
 * A module holding named children (like `torch.nn.ModuleDict`): the `adapters` and
 * `adapter_fusion_layer` tables of an {@link AdapterSite}.
 *
 * @example
 * ```ts
 * const table = new ModuleTable();
 * table.set("sst2", adapter);
 * table.get("sst2");
 * ```
 */
export class ModuleTable<M extends Module = Module> extends Module {
  /** Adds or replaces the child `name`. */
  set(name: string, m: M): M {
    return this.registerModule(name, m);
  }

  /** The child `name`, or undefined. */
  get(name: string): M | undefined {
    return this.namedChildren().find(([n]) => n === name)?.[1] as M | undefined;
  }

  /** Names of the children, in insertion order. */
  names(): string[] {
    return this.namedChildren().map(([n]) => n);
  }
}

/**
 * The adapter sites of a BERT layer: after the attention output projection
 * (`attention.output`, BertSelfOutput) and after the feed-forward output (`output`,
 * BertOutput).
 *
 * @example
 * ```ts
 * const kind: AdapterSiteKind = "attention.output";
 * ```
 */
export type AdapterSiteKind = "attention.output" | "output";

/**
 * Replaces a BERT `BertResidualOutput` (`dense` → `dropout` → `LayerNorm(· + residual)`) at
 * `attention.output` or `output`, keeping its children (and so their Hugging Face parameter
 * paths) and adding `adapters.<name>` and `adapter_fusion_layer.<a,b>`. With `y =
 * dropout(dense(h))` and the sub-layer input `r` (the residual), the active setup maps `y`
 * to `y'` and the site returns `LayerNorm(y' + r)`:
 * - adapter `a` (sequential): `y' = y + a(y)`; (parallel): `y' = y + a(r)`;
 * - `Stack(a, b)`: `a` then `b` on the result;
 * - `Fuse(a, b)`: `y' = y + fusion(y, [a(·), b(·)])`.
 * An adapter the setup names but this site lacks is skipped (Pfeiffer adapters have no
 * attention-site adapter). With no active setup the site computes exactly what the
 * replaced module did.
 *
 * @example
 * ```ts
 * const site = AdapterSite.wrap(model, "bert.encoder.layer.0.output");
 * site.adapters.set(
 *   "sst2",
 *   new BottleneckAdapter({ hiddenSize: 768, reductionFactor: 16, nonLinearity: "relu", scaling: 1, placement: "sequential" }),
 * );
 * site.active = "sst2";
 * ```
 */
export class AdapterSite extends Module {
  /** What runs at this site (undefined: no adapter). */
  active: AdapterSetup | undefined = undefined;

  private constructor(replaced: Module) {
    super();
    for (const [name, child] of replaced.namedChildren()) this.registerModule(name, child);
    this.registerModule("adapters", new ModuleTable<BottleneckAdapter>());
  }

  /**
   * The site at `path` of `model`, wrapping the module there first unless it already is
   * a site. `model` is changed in place (strategies call this on their clone).
   */
  static wrap(model: Module, path: string): AdapterSite {
    const current = model.getSubmodule(path);
    if (current instanceof AdapterSite) return current;
    const names = current.namedChildren().map(([n]) => n);
    if (!["dense", "LayerNorm", "dropout"].every((n) => names.includes(n))) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `cannot add an adapter at "${path}": expected a BERT output block with dense, LayerNorm and dropout, found ${current.constructor.name} with children [${names.join(", ")}]`,
      );
    }
    const site = new AdapterSite(current);
    model.setSubmodule(path, site);
    return site;
  }

  /** The adapters of this site by name. */
  get adapters(): ModuleTable<BottleneckAdapter> {
    return this.child<ModuleTable<BottleneckAdapter>>("adapters");
  }

  /** The fusion layers of this site by name (`a,b`); created on first use. */
  get fusionLayers(): ModuleTable<AdapterFusionLayer> {
    if (!this.namedChildren().some(([n]) => n === "adapter_fusion_layer")) {
      this.registerModule("adapter_fusion_layer", new ModuleTable<AdapterFusionLayer>());
    }
    return this.child<ModuleTable<AdapterFusionLayer>>("adapter_fusion_layer");
  }

  forward(h: Tensor, residual: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const y = this.child<Layer>("dropout").forward(this.child<Layer>("dense").forward(h, ctx), ctx);
    const adapted = this.active === undefined ? y : this.run(this.active, y, residual);
    return this.child<Layer>("LayerNorm").forward(add(adapted, residual), ctx);
  }

  private run(setup: AdapterSetup, y: Tensor, residual: Tensor): Tensor {
    if (typeof setup === "string") {
      const a = this.adapters.get(setup);
      return a ? add(y, a.delta(a.placement === "parallel" ? residual : y)) : y;
    }
    if (setup.kind === "stack") return setup.blocks.reduce((h, b) => this.run(b, h, residual), y);
    return this.fuse(setup, y, residual);
  }

  private fuse(block: FuseBlock, y: Tensor, residual: Tensor): Tensor {
    const present = block.names.flatMap((n) => this.adapters.get(n) ?? []);
    if (present.length === 0) return y;
    const table = this.namedChildren().find(([n]) => n === "adapter_fusion_layer")?.[1] as
      | ModuleTable<AdapterFusionLayer>
      | undefined;
    const fusion = table?.get(fusionName(block));
    if (!fusion) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `adapter site has no fusion layer "${fusionName(block)}"; apply adapterFusion([${block.names.map((n) => JSON.stringify(n)).join(", ")}]) to add it`,
      );
    }
    const ups = present.map((a) => a.delta(a.placement === "parallel" ? residual : y));
    return add(y, fusion.forward(y, ups));
  }
}

/**
 * The paths of the BERT layers of a model (`bert.encoder.layer.0`, …), in order.
 *
 * @example
 * ```ts
 * bertLayerPaths(model); // ["bert.encoder.layer.0", "bert.encoder.layer.1"]
 * ```
 */
export function bertLayerPaths(model: Module): string[] {
  const paths = model.namedModules().flatMap(([p, m]) => (m instanceof BertLayer ? [p] : []));
  if (paths.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model.constructor.name} has no BERT layers (BertLayer modules); adapters, prefix and prompt tuning need a BERT model`,
    );
  }
  return paths;
}

/**
 * Every {@link AdapterSite} of a model with its path.
 *
 * @example
 * ```ts
 * adapterSites(adapted).map(([path]) => path);
 * ```
 */
export function adapterSites(model: Module): [string, AdapterSite][] {
  return model
    .namedModules()
    .flatMap(([p, m]) => (m instanceof AdapterSite ? [[p, m] as [string, AdapterSite]] : []));
}
