import { Embedding, Module, type Tensor, TunekitError } from "@tunekit/core";
import { broadcastTo, concat, type Graph, reshape, slice } from "@tunekit/core/ir";
import { ModuleList } from "@tunekit/core/models";
import { mixSeeds, mulberry32 } from "@tunekit/core/data";
import type { AdapterSiteKind } from "../adapters/adapter-site.js";
import type { AdapterNonLinearity } from "../adapters/bottleneck-adapter.js";
import { AdapterGenerators, type GeneratedAdapter } from "./adapter-generators.js";
import { TaskEmbeddings } from "./task-embeddings.js";
import { TaskProjector } from "./task-projector.js";

/**
 * The two hypernetwork designs of Karimi Mahabadi et al. (2021): `"hyperformer++"` (one
 * set of generators shared by every layer and adapter position, conditioned on task, layer
 * and position embeddings) and `"hyperformer"` (a generator set per layer and position,
 * conditioned on the task alone).
 *
 * @example
 * ```ts
 * const v: HyperFormerVariant = "hyperformer++";
 * ```
 */
export type HyperFormerVariant = "hyperformer++" | "hyperformer";

/**
 * The adapter positions of a layer, by position id: 0 after the attention output
 * projection (`attention.output`), 1 after the feed-forward output (`output`).
 *
 * @example
 * ```ts
 * HYPERFORMER_POSITIONS.indexOf("output"); // 1
 * ```
 */
export const HYPERFORMER_POSITIONS: readonly AdapterSiteKind[] = Object.freeze([
  "attention.output",
  "output",
]);

/**
 * Architecture of a {@link HyperFormerHypernetwork} (everything but the task list, which
 * can grow).
 *
 * @example
 * ```ts
 * const c: HypernetworkConfig = { variant: "hyperformer++", numLayers: 12, hiddenSize: 768, reductionFactor: 32, bottleneck: 24, taskEmbeddingDim: 64, projectorHiddenDim: 128, projectedDim: 64, nonLinearity: "relu", adapterLayerNormEps: 1e-5 };
 * ```
 */
export interface HypernetworkConfig {
  readonly variant: HyperFormerVariant;
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly reductionFactor: number;
  /** `floor(hiddenSize / reductionFactor)`, at least 1. */
  readonly bottleneck: number;
  /** Width `t` of the task (and, for ++, layer and position) embeddings. */
  readonly taskEmbeddingDim: number;
  readonly projectorHiddenDim: number;
  /** Width of the conditioning embedding `I` the generators read. */
  readonly projectedDim: number;
  /** φ between the generated down and up projections. */
  readonly nonLinearity: AdapterNonLinearity;
  /** eps of the conditional LayerNorm `LN_τ`. */
  readonly adapterLayerNormEps: number;
}

/**
 * Per-(layer, position) generated adapters for every task (`[T, ...]` each), as
 * {@link HyperFormerHypernetwork.generate} returns them.
 *
 * @example
 * ```ts
 * const sites: SiteAdapters = hypernetwork.generate(graph);
 * sites(1, 0).downWeight; // [T, r, d]: layer 1's attention adapter for every task
 * ```
 */
export type SiteAdapters = (layer: number, position: number) => GeneratedAdapter;

/**
 * The hypernetwork of HyperFormer / HyperFormer++. Children: `task_embeddings`
 * ({@link TaskEmbeddings}, one `[t]` parameter per task, normal(0, 1)); for ++ also
 * `layer_embeddings` (`[L, t]`) and `position_embeddings` (`[2, t]`, rows as
 * {@link HYPERFORMER_POSITIONS}), normal(0, 1); `projector` ({@link TaskProjector}: ++ maps
 * `[z_τ; l; p]` (3t) through 128 to 64 and a LayerNorm, eps 1e-6; the per-layer variant maps
 * `z_τ` (t) through 128 to 64, without LayerNorm, as the paper's code); `generators`
 * ({@link AdapterGenerators}: one shared set for ++, else `generators.<layer>.<position>`).
 *
 * @example
 * ```ts
 * const hn = new HyperFormerHypernetwork(config, ["sst2", "mrpc"], 0);
 * const sites = hn.generate(graph);
 * sites(0, 1).upWeight; // [2, d, r]: layer 0's feed-forward adapter for both tasks
 * ```
 */
export class HyperFormerHypernetwork extends Module {
  readonly config: HypernetworkConfig;

  constructor(config: HypernetworkConfig, tasks: readonly string[], seed = 0) {
    super();
    this.config = Object.freeze({ ...config });
    const {
      variant,
      numLayers: L,
      taskEmbeddingDim: t,
      projectedDim: p,
      hiddenSize: d,
      bottleneck: r,
    } = config;
    if (variant !== "hyperformer++" && variant !== "hyperformer") {
      throw new TunekitError(
        "CONFIG_INVALID",
        `unknown HyperFormer variant ${JSON.stringify(variant)}; expected "hyperformer++" or "hyperformer"`,
      );
    }
    this.registerModule("task_embeddings", new TaskEmbeddings(tasks, t, mixSeeds(seed, 1)));
    const plus = variant === "hyperformer++";
    if (plus) {
      this.registerModule(
        "layer_embeddings",
        new Embedding(L, t, { rng: mulberry32(mixSeeds(seed, 2)), std: 1 }),
      );
      this.registerModule(
        "position_embeddings",
        new Embedding(HYPERFORMER_POSITIONS.length, t, { rng: mulberry32(mixSeeds(seed, 3)), std: 1 }),
      );
    }
    this.registerModule(
      "projector",
      new TaskProjector({
        inputDim: plus ? 3 * t : t,
        hiddenDim: config.projectorHiddenDim,
        projectedDim: p,
        layerNorm: plus,
        seed: mixSeeds(seed, 4),
      }),
    );
    if (plus) this.registerModule("generators", new AdapterGenerators(p, d, r, mixSeeds(seed, 5)));
    else {
      const perLayer = Array.from(
        { length: L },
        (_, l) =>
          new ModuleList(
            HYPERFORMER_POSITIONS.map((_k, k) => new AdapterGenerators(p, d, r, mixSeeds(seed, 5, l, k))),
          ),
      );
      this.registerModule("generators", new ModuleList(perLayer));
    }
  }

  /** The task embeddings module. */
  get taskEmbeddings(): TaskEmbeddings {
    return this.child<TaskEmbeddings>("task_embeddings");
  }

  /** The task names in order (what `task_ids` index). */
  get tasks(): string[] {
    return this.taskEmbeddings.tasks;
  }

  /**
   * Builds, in `graph`, every task's adapter at every (layer, position): returns a lookup
   * whose tensors have a leading task axis `[T, ...]`. HyperFormer++ projects all
   * `T·L·2` conditioning inputs in one pass; the per-layer variant projects the `T` task
   * embeddings once and runs the site's own generators.
   */
  generate(graph: Graph): SiteAdapters {
    const { numLayers: L, taskEmbeddingDim: t } = this.config;
    const z = this.taskEmbeddings.table(graph);
    const T = z.shape[0]!;
    const projector = this.child<TaskProjector>("projector");
    if (this.config.variant === "hyperformer") {
      const I = projector.forward(z);
      const gens = this.child<ModuleList<ModuleList<AdapterGenerators>>>("generators");
      return (layer, position) => gens.at(checkLayer(layer, L)).at(checkPosition(position)).forward(I);
    }
    const P = HYPERFORMER_POSITIONS.length;
    const full = [T, L, P, t];
    const layers = graph.param(this.child<Embedding>("layer_embeddings").weight);
    const positions = graph.param(this.child<Embedding>("position_embeddings").weight);
    const x = concat(
      [
        broadcastTo(reshape(z, [T, 1, 1, t]), full),
        broadcastTo(reshape(layers, [1, L, 1, t]), full),
        broadcastTo(reshape(positions, [1, 1, P, t]), full),
      ],
      3,
    );
    const all = this.child<AdapterGenerators>("generators").forward(
      projector.forward(reshape(x, [T * L * P, 3 * t])),
    );
    const pick = (w: Tensor, k: number): Tensor => {
      const rest = w.shape.slice(1);
      const grouped = reshape(w, [T, L * P, ...rest]);
      const one = slice(grouped, [0, k, ...rest.map(() => 0)], [T, 1, ...rest]);
      return reshape(one, [T, ...rest]);
    };
    return (layer, position) => {
      const k = checkLayer(layer, L) * P + checkPosition(position);
      return {
        downWeight: pick(all.downWeight, k),
        downBias: pick(all.downBias, k),
        upWeight: pick(all.upWeight, k),
        upBias: pick(all.upBias, k),
        lnWeight: pick(all.lnWeight, k),
        lnBias: pick(all.lnBias, k),
      };
    };
  }
}

function checkLayer(layer: number, numLayers: number): number {
  if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `hypernetwork: layer ${layer} is out of range; the hypernetwork was built for ${numLayers} layers (0..${numLayers - 1})`,
    );
  }
  return layer;
}

function checkPosition(position: number): number {
  if (position !== 0 && position !== 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `hypernetwork: adapter position ${position} is not 0 (attention.output) or 1 (output)`,
    );
  }
  return position;
}
