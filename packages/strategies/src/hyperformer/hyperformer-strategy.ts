import { freezeAll, type Module, type Strategy, type StrategyOptions, TunekitError } from "@tunekit/core";
import { BertEncoder, cloneModuleTree, MultiTaskModel } from "@tunekit/core/models";
import {
  ADAPTER_NON_LINEARITIES,
  type AdapterNonLinearity,
  bottleneckSize,
} from "../adapters/bottleneck-adapter.js";
import { bertModelOf } from "../adapters/bottleneck-strategies.js";
import { HyperFormerEncoder } from "./hyperformer-encoder.js";
import { HyperFormerSite } from "./hyperformer-site.js";
import {
  HYPERFORMER_POSITIONS,
  HyperFormerHypernetwork,
  type HyperFormerVariant,
  type HypernetworkConfig,
} from "./hypernetwork.js";
import { checkTaskList } from "./task-embeddings.js";

/**
 * Options of {@link hyperformerPlusPlus} and {@link hyperformer}.
 *
 * @example
 * ```ts
 * const o: HyperFormerOptions = { tasks: ["sst2", "mrpc", "rte", "cola"], reductionFactor: 32 };
 * ```
 */
export interface HyperFormerOptions {
  /** The mixture's tasks in order: `task_ids` index this list. */
  readonly tasks: readonly string[];
  /** Bottleneck `r = floor(hidden / reductionFactor)` (default 32). */
  readonly reductionFactor?: number;
  /** Width `t` of the task / layer / position embeddings (default 64). */
  readonly taskEmbeddingDim?: number;
  /** Hidden width of the task projector (default 128). */
  readonly projectorHiddenDim?: number;
  /** Width of the conditioning embedding `I` (default 64). */
  readonly projectedDim?: number;
  /** φ of the generated adapters (default `relu`). */
  readonly nonLinearity?: AdapterNonLinearity;
  /** eps of the conditional LayerNorm `LN_τ` (default 1e-5, PyTorch's). */
  readonly adapterLayerNormEps?: number;
  /** Also train the base model's own LayerNorms (default false). */
  readonly trainBaseLayerNorms?: boolean;
  /** Train the task heads (`classifier`, `heads.*`) too (default true). */
  readonly trainHead?: boolean;
  /** Seed of the hypernetwork's init (default 0). */
  readonly seed?: number;
}

/**
 * The options a HyperFormer strategy records (JSON), defaults filled in.
 *
 * @example
 * ```ts
 * (hyperformerPlusPlus({ tasks: ["a"] }).options as unknown as ResolvedHyperFormerOptions).reductionFactor; // 32
 * ```
 */
export interface ResolvedHyperFormerOptions {
  readonly variant: HyperFormerVariant;
  readonly tasks: readonly string[];
  readonly reductionFactor: number;
  readonly taskEmbeddingDim: number;
  readonly projectorHiddenDim: number;
  readonly projectedDim: number;
  readonly nonLinearity: AdapterNonLinearity;
  readonly adapterLayerNormEps: number;
  readonly trainBaseLayerNorms: boolean;
  readonly trainHead: boolean;
  readonly seed: number;
}

/**
 * Defaults of the HyperFormer strategies (the paper's).
 *
 * @example
 * ```ts
 * HYPERFORMER_DEFAULTS.reductionFactor; // 32
 * ```
 */
export const HYPERFORMER_DEFAULTS = Object.freeze({
  reductionFactor: 32,
  taskEmbeddingDim: 64,
  projectorHiddenDim: 128,
  projectedDim: 64,
  nonLinearity: "relu" as AdapterNonLinearity,
  adapterLayerNormEps: 1e-5,
  trainBaseLayerNorms: false,
  trainHead: true,
  seed: 0,
});

/**
 * HyperFormer++ (Karimi Mahabadi et al., ACL 2021): one hypernetwork, shared by every layer,
 * generates the bottleneck adapters after the attention and feed-forward sub-layers of every
 * layer for every task, `A(y) = y + LN_τ(U·φ(D·y + b_D) + b_U)`, from `I = LN(MLP([z_τ; l; p]))`
 * (task, layer-id and position embeddings). Only the hypernetwork (task embeddings included)
 * and the heads train; a new task costs one task embedding (plus its head). The batch must
 * carry `task_ids` (int32 `[B]`, indices into `tasks`) unless there is one task.
 *
 * @example
 * ```ts
 * const adapted = hyperformerPlusPlus({ tasks: ["sst2", "mrpc", "rte", "cola"] }).apply(model);
 * ```
 */
export function hyperformerPlusPlus(options: HyperFormerOptions): Strategy {
  return hyperformerStrategy("hyperformer++", options);
}

/**
 * HyperFormer (Karimi Mahabadi et al., ACL 2021): like {@link hyperformerPlusPlus}, but each
 * layer and position has its own generators, conditioned on the projected task embedding
 * alone (`I = MLP(z_τ)`); more parameters, no layer or position embeddings.
 *
 * @example
 * ```ts
 * const adapted = hyperformer({ tasks: ["sst2", "mrpc"] }).apply(model);
 * ```
 */
export function hyperformer(options: HyperFormerOptions): Strategy {
  return hyperformerStrategy("hyperformer", options);
}

/**
 * Resolves and checks HyperFormer options.
 *
 * @example
 * ```ts
 * resolveHyperFormerOptions("hyperformer++", { tasks: ["a", "b"] }).projectedDim; // 64
 * ```
 */
export function resolveHyperFormerOptions(
  variant: HyperFormerVariant,
  options: HyperFormerOptions,
): ResolvedHyperFormerOptions {
  const who = variant === "hyperformer++" ? "hyperformerPlusPlus" : "hyperformer";
  checkTaskList(options?.tasks, who);
  const D = HYPERFORMER_DEFAULTS;
  const posInt = (key: keyof HyperFormerOptions, v: number): number => {
    if (!Number.isInteger(v) || v <= 0) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${who}: ${key} must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const resolved: ResolvedHyperFormerOptions = {
    variant,
    tasks: Object.freeze([...options.tasks]),
    reductionFactor: options.reductionFactor ?? D.reductionFactor,
    taskEmbeddingDim: posInt("taskEmbeddingDim", options.taskEmbeddingDim ?? D.taskEmbeddingDim),
    projectorHiddenDim: posInt("projectorHiddenDim", options.projectorHiddenDim ?? D.projectorHiddenDim),
    projectedDim: posInt("projectedDim", options.projectedDim ?? D.projectedDim),
    nonLinearity: options.nonLinearity ?? D.nonLinearity,
    adapterLayerNormEps: options.adapterLayerNormEps ?? D.adapterLayerNormEps,
    trainBaseLayerNorms: options.trainBaseLayerNorms ?? D.trainBaseLayerNorms,
    trainHead: options.trainHead ?? D.trainHead,
    seed: options.seed ?? D.seed,
  };
  bottleneckSize(1, resolved.reductionFactor);
  if (!ADAPTER_NON_LINEARITIES.includes(resolved.nonLinearity)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${who}: nonLinearity "${resolved.nonLinearity}" is not supported; expected one of ${ADAPTER_NON_LINEARITIES.join(", ")}`,
    );
  }
  if (!(resolved.adapterLayerNormEps > 0)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${who}: adapterLayerNormEps must be a positive number, got ${resolved.adapterLayerNormEps}`,
    );
  }
  return Object.freeze(resolved);
}

/**
 * Whether a parameter path is a task head's (`classifier.*`, `heads.*`): heads are trained
 * by their owner, so HyperFormer leaves them trainable when `trainHead` is set.
 *
 * @example
 * ```ts
 * isHeadPath("heads.sst2.weight"); // true
 * ```
 */
export function isHeadPath(path: string): boolean {
  return path.startsWith("classifier.") || path.startsWith("heads.");
}

const isBaseLayerNorm = (path: string): boolean =>
  /(^|\.)LayerNorm\.(weight|bias)$/.test(path) && !path.includes(".hypernetwork.");

/**
 * A HyperFormer strategy of either variant (what {@link hyperformerPlusPlus} and
 * {@link hyperformer} call; the file loader rebuilds strategies with it).
 *
 * @example
 * ```ts
 * const s = hyperformerStrategy("hyperformer++", { tasks: ["a", "b"], reductionFactor: 16 });
 * ```
 */
export function hyperformerStrategy(variant: HyperFormerVariant, options: HyperFormerOptions): Strategy {
  const o = resolveHyperFormerOptions(variant, options);
  return {
    method: variant,
    options: o as unknown as StrategyOptions,
    apply<M extends Module>(model: M): M {
      const fresh = (path: string): boolean =>
        (o.trainHead && isHeadPath(path)) || (o.trainBaseLayerNorms && isBaseLayerNorm(path));
      if (model instanceof MultiTaskModel) {
        const names = model.tasks.map((t) => t.name);
        if (names.join("\u0000") !== o.tasks.join("\u0000")) {
          throw new TunekitError(
            "CONFIG_INVALID",
            `${variant}: tasks [${o.tasks.join(", ")}] must be the MultiTaskModel's tasks in its order ([${names.join(", ")}]): task_ids index both`,
          );
        }
      }
      const adapted = cloneModuleTree(model, { freshParameters: fresh });
      const bert = bertModelOf(adapted);
      const bertPath = adapted.namedModules().find(([, m]) => m === bert)![0];
      const encoderPath = bertPath === "" ? "encoder" : `${bertPath}.encoder`;
      const encoder = adapted.getSubmodule(encoderPath);
      if (!(encoder instanceof BertEncoder)) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `${variant}: ${encoderPath} is a ${encoder.constructor.name}, not a plain BertEncoder; apply HyperFormer to a model without prefix tuning or another HyperFormer (add tasks with addHyperFormerTask)`,
        );
      }
      const { hiddenSize, numHiddenLayers } = bert.config;
      const config: HypernetworkConfig = {
        variant,
        numLayers: numHiddenLayers,
        hiddenSize,
        reductionFactor: o.reductionFactor,
        bottleneck: bottleneckSize(hiddenSize, o.reductionFactor),
        taskEmbeddingDim: o.taskEmbeddingDim,
        projectorHiddenDim: o.projectorHiddenDim,
        projectedDim: o.projectedDim,
        nonLinearity: o.nonLinearity,
        adapterLayerNormEps: o.adapterLayerNormEps,
      };
      const hn = new HyperFormerHypernetwork(config, o.tasks, o.seed);
      adapted.setSubmodule(encoderPath, new HyperFormerEncoder(encoder, hn));
      for (let l = 0; l < numHiddenLayers; l++) {
        HYPERFORMER_POSITIONS.forEach((kind, k) => {
          HyperFormerSite.wrap(adapted, `${encoderPath}.layer.${l}.${kind}`, l, k);
        });
      }
      freezeAll(adapted);
      for (const p of hn.parameters()) p.trainable = true;
      for (const [path, p] of adapted.namedParameters()) if (fresh(path)) p.trainable = true;
      return adapted;
    },
  };
}

/**
 * The {@link HyperFormerEncoder} of a model, if a HyperFormer strategy was applied.
 *
 * @example
 * ```ts
 * hyperformerEncoderOf(adapted)?.hypernetwork.tasks; // ["sst2", "mrpc"]
 * ```
 */
export function hyperformerEncoderOf(model: Module): HyperFormerEncoder | undefined {
  return model.namedModules().find(([, m]) => m instanceof HyperFormerEncoder)?.[1] as
    | HyperFormerEncoder
    | undefined;
}

/**
 * The hypernetwork of a HyperFormer model with its path; throws when there is none.
 *
 * @example
 * ```ts
 * const { hypernetwork, path } = hypernetworkOf(adapted); // path "bert.encoder.hypernetwork"
 * ```
 */
export function hypernetworkOf(model: Module): { hypernetwork: HyperFormerHypernetwork; path: string } {
  const found = model.namedModules().find(([, m]) => m instanceof HyperFormerHypernetwork);
  if (!found) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${model.constructor.name} has no HyperFormer hypernetwork; apply hyperformerPlusPlus({ tasks }) or hyperformer({ tasks }) first, or load one with loadHyperFormer`,
    );
  }
  return { hypernetwork: found[1] as HyperFormerHypernetwork, path: found[0] };
}
