import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type HostTensor,
  type Module,
  type Parameter,
  readSafetensorsFile,
  TunekitError,
} from "@tunekit/core";
import { readJsonFile, writeFileAtomic, writeSafetensors } from "@tunekit/core/io";
import {
  ADAPTER_NON_LINEARITIES,
  type AdapterNonLinearity,
  bottleneckSize,
} from "../adapters/bottleneck-adapter.js";
import { bertModelOf } from "../adapters/bottleneck-strategies.js";
import { assignTensorsStrictly } from "../adapters/strict-tensors.js";
import { hyperformerStrategy, hypernetworkOf, isHeadPath } from "./hyperformer-strategy.js";
import { HYPERFORMER_POSITIONS, type HyperFormerVariant } from "./hypernetwork.js";

/**
 * The `format` tag of tunekit's HyperFormer files.
 *
 * @example
 * ```ts
 * config.format === HYPERFORMER_FORMAT; // "tunekit-hyperformer/1"
 * ```
 */
export const HYPERFORMER_FORMAT = "tunekit-hyperformer/1";

/**
 * File names of a HyperFormer folder.
 *
 * @example
 * ```ts
 * join(dir, HYPERFORMER_FILES.config); // ".../hyperformer_config.json"
 * ```
 */
export const HYPERFORMER_FILES = Object.freeze({
  config: "hyperformer_config.json",
  weights: "hyperformer_model.safetensors",
});

/**
 * `hyperformer_config.json` (`format: "tunekit-hyperformer/1"`). The weights,
 * `hyperformer_model.safetensors`, hold the hypernetwork under `hypernetwork.<path>`:
 * `task_embeddings.<task>` `[t]`; for ++ `layer_embeddings.weight` `[L, t]`,
 * `position_embeddings.weight` `[2, t]` (rows as `positions`) and `projector.LayerNorm.*`;
 * `projector.dense_in.*`, `projector.dense_out.*`; `generators.<g>.{weight,bias}` (++) or
 * `generators.<layer>.<position>.<g>.*` (per-layer), `g` ∈ `down_weight`, `down_bias`,
 * `up_weight`, `up_bias`, `ln_weight`, `ln_bias` (`Linear(projected_dim, n)`, outputs reshaped
 * row-major to `[r, d]` / `[d, r]` for the weights). With `includes_head` also the heads
 * (`classifier.*`, `heads.*`), and with `train_base_layer_norms` the base LayerNorms, under
 * their model paths.
 *
 * @example
 * ```ts
 * const c: HyperFormerFileConfig = JSON.parse(await readFile("out/hyperformer_config.json", "utf8"));
 * ```
 */
export interface HyperFormerFileConfig {
  readonly format: typeof HYPERFORMER_FORMAT;
  readonly variant: HyperFormerVariant;
  /** Task names in `task_ids` order. */
  readonly tasks: readonly string[];
  readonly num_layers: number;
  readonly hidden_size: number;
  readonly reduction_factor: number;
  readonly bottleneck_size: number;
  readonly task_embedding_dim: number;
  readonly projector_hidden_dim: number;
  readonly projected_dim: number;
  readonly non_linearity: AdapterNonLinearity;
  readonly adapter_layer_norm_eps: number;
  /** Always 1e-6 (the projector LayerNorm of ++); recorded for readers. */
  readonly projector_layer_norm_eps: number;
  /** Adapter positions by position id: `["attention.output", "output"]`. */
  readonly positions: readonly string[];
  readonly includes_head: boolean;
  readonly train_base_layer_norms: boolean;
  readonly base_model_name_or_path: string | null;
}

/**
 * Options of {@link saveHyperFormer}.
 *
 * @example
 * ```ts
 * await saveHyperFormer(model, "out/hf", { includeHead: true } satisfies SaveHyperFormerOptions);
 * ```
 */
export interface SaveHyperFormerOptions {
  /** Save the heads too (default: when the model has trainable heads). */
  readonly includeHead?: boolean;
  readonly baseModelNameOrPath?: string;
}

/** Largest size (dimension, task count) a HyperFormer config may declare. */
const MAX_DIM = 1 << 16;

/** Model parameters the file holds, by file key. */
function fileParameters(
  model: Module,
  includeHead: boolean,
  baseLayerNorms: boolean,
): Map<string, Parameter> {
  const { path } = hypernetworkOf(model);
  const out = new Map<string, Parameter>();
  for (const [p, param] of model.namedParameters()) {
    if (p.startsWith(`${path}.`)) out.set(`hypernetwork.${p.slice(path.length + 1)}`, param);
    else if (includeHead && isHeadPath(p)) out.set(p, param);
    else if (baseLayerNorms && /(^|\.)LayerNorm\.(weight|bias)$/.test(p)) out.set(p, param);
  }
  return out;
}

/**
 * The config and tensors {@link saveHyperFormer} writes.
 *
 * @example
 * ```ts
 * const { config, tensors } = hyperformerContents(adapted);
 * ```
 */
export function hyperformerContents(
  model: Module,
  options: SaveHyperFormerOptions = {},
): { config: HyperFormerFileConfig; tensors: Record<string, HostTensor> } {
  const { hypernetwork } = hypernetworkOf(model);
  const c = hypernetwork.config;
  const heads = model.namedParameters().filter(([p]) => isHeadPath(p));
  const includeHead = options.includeHead ?? heads.some(([, p]) => p.trainable);
  if (includeHead && heads.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "saveHyperFormer: includeHead is true but the model has no head",
    );
  }
  const baseLayerNorms = model
    .namedParameters()
    .some(([p, param]) => param.trainable && /LayerNorm\.weight$/.test(p) && !p.includes(".hypernetwork."));
  const tensors: Record<string, HostTensor> = {};
  for (const [k, p] of fileParameters(model, includeHead, baseLayerNorms)) tensors[k] = p.value;
  const config: HyperFormerFileConfig = {
    format: HYPERFORMER_FORMAT,
    variant: c.variant,
    tasks: hypernetwork.tasks,
    num_layers: c.numLayers,
    hidden_size: c.hiddenSize,
    reduction_factor: c.reductionFactor,
    bottleneck_size: c.bottleneck,
    task_embedding_dim: c.taskEmbeddingDim,
    projector_hidden_dim: c.projectorHiddenDim,
    projected_dim: c.projectedDim,
    non_linearity: c.nonLinearity,
    adapter_layer_norm_eps: c.adapterLayerNormEps,
    projector_layer_norm_eps: 1e-6,
    positions: [...HYPERFORMER_POSITIONS],
    includes_head: includeHead,
    train_base_layer_norms: baseLayerNorms,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
  };
  return { config, tensors };
}

/**
 * Writes a HyperFormer model's hypernetwork (every task embedding included) and, optionally,
 * its heads as `hyperformer_config.json` ({@link HyperFormerFileConfig}) +
 * `hyperformer_model.safetensors` in `dir`. The frozen base is not written.
 *
 * @example
 * ```ts
 * await saveHyperFormer(adapted, "out/hyperformer", { baseModelNameOrPath: "bert-base-uncased" });
 * ```
 */
export async function saveHyperFormer(
  model: Module,
  dir: string,
  options: SaveHyperFormerOptions = {},
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const { config, tensors } = hyperformerContents(model, options);
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, HYPERFORMER_FILES.config);
  const weightsPath = join(dir, HYPERFORMER_FILES.weights);
  await writeFileAtomic(weightsPath, writeSafetensors(tensors, { format: "pt" }));
  await writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, weightsPath, keys: Object.keys(tensors) };
}

/**
 * Validates a parsed `hyperformer_config.json`.
 *
 * @example
 * ```ts
 * const config = parseHyperFormerConfig(JSON.parse(text), "hyperformer_config.json");
 * ```
 */
export function parseHyperFormerConfig(json: unknown, source: string): HyperFormerFileConfig {
  const bad = (key: string, want: string, got: unknown): never => {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: "${key}" must be ${want}, got ${JSON.stringify(got)}; files in this format are written by saveHyperFormer`,
    );
  };
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return bad("(root)", "an object", json);
  const o = json as Record<string, unknown>;
  if (o.format !== HYPERFORMER_FORMAT) bad("format", `"${HYPERFORMER_FORMAT}"`, o.format);
  // Sizes are bounded before anything is built from them (a hostile file must not allocate).
  const int = (k: string): number =>
    Number.isInteger(o[k]) && (o[k] as number) > 0 && (o[k] as number) <= MAX_DIM
      ? (o[k] as number)
      : bad(k, `a positive integer at most ${MAX_DIM}`, o[k]);
  const pos = (k: string): number =>
    typeof o[k] === "number" && Number.isFinite(o[k]) && (o[k] as number) > 0
      ? (o[k] as number)
      : bad(k, "a positive number", o[k]);
  const bool = (k: string): boolean =>
    typeof o[k] === "boolean" ? (o[k] as boolean) : bad(k, "true or false", o[k]);
  if (o.variant !== "hyperformer++" && o.variant !== "hyperformer")
    bad("variant", `"hyperformer++" or "hyperformer"`, o.variant);
  const tasks = o.tasks;
  if (
    !Array.isArray(tasks) ||
    tasks.length === 0 ||
    tasks.length > MAX_DIM ||
    !tasks.every((t) => typeof t === "string")
  )
    bad("tasks", `a non-empty list of at most ${MAX_DIM} task names`, tasks);
  if (!ADAPTER_NON_LINEARITIES.includes(o.non_linearity as AdapterNonLinearity))
    bad("non_linearity", ADAPTER_NON_LINEARITIES.join(", "), o.non_linearity);
  const positions = o.positions ?? [...HYPERFORMER_POSITIONS];
  if (JSON.stringify(positions) !== JSON.stringify(HYPERFORMER_POSITIONS))
    bad("positions", JSON.stringify(HYPERFORMER_POSITIONS), positions);
  return {
    format: HYPERFORMER_FORMAT,
    variant: o.variant as HyperFormerVariant,
    tasks: tasks as string[],
    num_layers: int("num_layers"),
    hidden_size: int("hidden_size"),
    reduction_factor: pos("reduction_factor"),
    bottleneck_size: int("bottleneck_size"),
    task_embedding_dim: int("task_embedding_dim"),
    projector_hidden_dim: int("projector_hidden_dim"),
    projected_dim: int("projected_dim"),
    non_linearity: o.non_linearity as AdapterNonLinearity,
    adapter_layer_norm_eps: pos("adapter_layer_norm_eps"),
    projector_layer_norm_eps:
      o.projector_layer_norm_eps === undefined ? 1e-6 : pos("projector_layer_norm_eps"),
    positions: [...HYPERFORMER_POSITIONS],
    includes_head: bool("includes_head"),
    train_base_layer_norms: o.train_base_layer_norms === undefined ? false : bool("train_base_layer_norms"),
    base_model_name_or_path: typeof o.base_model_name_or_path === "string" ? o.base_model_name_or_path : null,
  };
}

/**
 * Reads and validates `hyperformer_config.json` of a folder.
 *
 * @example
 * ```ts
 * const { config } = await readHyperFormerConfig("out/hyperformer");
 * ```
 */
export async function readHyperFormerConfig(
  dir: string,
): Promise<{ path: string; config: HyperFormerFileConfig }> {
  const path = join(dir, HYPERFORMER_FILES.config);
  const json = await readJsonFile(path, {
    what: "HyperFormer config",
    maxBytes: 1 << 20,
    invalidCode: "CONFIG_INVALID",
    unreadableHint: `; expected a HyperFormer folder (${HYPERFORMER_FILES.config} + ${HYPERFORMER_FILES.weights}) written by saveHyperFormer`,
  });
  return { path, config: parseHyperFormerConfig(json, path) };
}

/**
 * Applies a saved HyperFormer to `model` (a new adapted model, as `strategy.apply` does):
 * checks the config against the model (hidden size, layers, bottleneck), rebuilds the
 * strategy from it and loads the tensors strictly (missing, unexpected or mis-shaped tensors
 * are a `CHECKPOINT_MISMATCH` listing them).
 *
 * @example
 * ```ts
 * const adapted = await loadHyperFormer(model, "out/hyperformer");
 * ```
 */
export async function loadHyperFormer<M extends Module>(model: M, dir: string): Promise<M> {
  const { path, config } = await readHyperFormerConfig(dir);
  const { hiddenSize, numHiddenLayers } = bertModelOf(model).config;
  if (config.hidden_size !== hiddenSize || config.num_layers !== numHiddenLayers) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path}: the hypernetwork was saved for hidden_size ${config.hidden_size} and ${config.num_layers} layers, but the model has hidden_size ${hiddenSize} and ${numHiddenLayers} layers; load it into the base model it was trained on`,
    );
  }
  const bottleneck = bottleneckSize(hiddenSize, config.reduction_factor);
  if (bottleneck !== config.bottleneck_size) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path}: bottleneck_size ${config.bottleneck_size} does not follow from hidden_size ${hiddenSize} / reduction_factor ${config.reduction_factor} (= ${bottleneck})`,
    );
  }
  const adapted = hyperformerStrategy(config.variant, {
    tasks: config.tasks,
    reductionFactor: config.reduction_factor,
    taskEmbeddingDim: config.task_embedding_dim,
    projectorHiddenDim: config.projector_hidden_dim,
    projectedDim: config.projected_dim,
    nonLinearity: config.non_linearity,
    adapterLayerNormEps: config.adapter_layer_norm_eps,
    trainBaseLayerNorms: config.train_base_layer_norms,
    trainHead: config.includes_head,
  }).apply(model);
  const weightsPath = join(dir, HYPERFORMER_FILES.weights);
  const { tensors } = await readSafetensorsFile(weightsPath);
  const expected = fileParameters(adapted, config.includes_head, config.train_base_layer_norms);
  assignTensorsStrictly(expected, tensors, weightsPath);
  return adapted;
}
