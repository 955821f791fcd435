import { join } from "node:path";
import { type Module, type Parameter, readSafetensorsFile, TunekitError } from "@tunekit/core";
import { type AdapterSite, adapterSites } from "./adapter-site.js";
import {
  ADAPTER_NON_LINEARITIES,
  type AdapterNonLinearity,
  type BottleneckAdapter,
  bottleneckSize,
} from "./bottleneck-adapter.js";
import { type AdapterArchitecture, bertModelOf, bottleneckAdapter } from "./bottleneck-strategies.js";
import { assignTensorsStrictly } from "./strict-tensors.js";
import { readAdapterConfigJson, writeAdapterFolder } from "../peft/adapter-folder-io.js";

/**
 * The `format` tag of tunekit's bottleneck adapter files.
 *
 * @example
 * ```ts
 * config.format === BOTTLENECK_FORMAT; // "tunekit-bottleneck/1"
 * ```
 */
export const BOTTLENECK_FORMAT = "tunekit-bottleneck/1";

/**
 * `adapter_config.json` of a tunekit bottleneck adapter (`format: "tunekit-bottleneck/1"`).
 * Tensors live in `adapter_model.safetensors` under AdapterHub-style paths of a BERT head
 * model: `bert.encoder.layer.<i>.<site>.adapters.<name>.adapter_down.0.{weight,bias}` and
 * `….adapter_up.{weight,bias}` (site `attention.output` or `output`), with `ln_after` also
 * `….adapter_norm_after.{weight,bias}`, plus `classifier.{weight,bias}` when `includes_head`.
 *
 * @example
 * ```ts
 * const config: BottleneckAdapterFileConfig = JSON.parse(await readFile("out/adapter_config.json", "utf8"));
 * ```
 */
export interface BottleneckAdapterFileConfig {
  readonly format: typeof BOTTLENECK_FORMAT;
  /** Adapter name (the `<name>` path segment). */
  readonly name: string;
  readonly architecture: AdapterArchitecture;
  readonly reduction_factor: number;
  /** `floor(hidden_size / reduction_factor)`, checked on load. */
  readonly bottleneck_size: number;
  readonly non_linearity: AdapterNonLinearity;
  readonly scaling: number;
  /** Sites per layer that hold the adapter. */
  readonly sites: readonly string[];
  readonly hidden_size: number;
  readonly num_layers: number;
  /** Whether the file also holds the task head (`classifier.weight` / `classifier.bias`). */
  readonly includes_head: boolean;
  readonly base_model_name_or_path: string | null;
  /**
   * AdapterHub's `ln_after`: a LayerNorm `adapter_norm_after` (eps 1e-5) on the scaled
   * up-projection. Written only when true (absent means false), always together with
   * `residual_before_ln: false` (the residual is added after that LayerNorm, the only
   * placement tunekit supports).
   */
  readonly ln_after?: boolean;
  readonly residual_before_ln?: boolean;
}

/**
 * Options of {@link saveBottleneckAdapter}.
 *
 * @example
 * ```ts
 * await saveBottleneckAdapter(model, "out/a", { name: "sst2", includeHead: true } satisfies SaveBottleneckAdapterOptions);
 * ```
 */
export interface SaveBottleneckAdapterOptions {
  /** Which adapter to save (default: the model's only adapter). */
  readonly name?: string;
  /** Save the head too (default: when the model has a trainable `classifier`). */
  readonly includeHead?: boolean;
  readonly baseModelNameOrPath?: string;
}

function adapterNames(model: Module): string[] {
  return [...new Set(adapterSites(model).flatMap(([, s]) => s.adapters.names()))];
}

/** The `bert.`-rooted key of a model path (a bare `BertModel` has no `bert.` prefix). */
function keyOf(model: Module, path: string): string {
  const bertPath = model.namedModules().find(([, m]) => m === bertModelOf(model))![0];
  return bertPath === "" ? `bert.${path}` : path;
}

/**
 * The config and tensors of one bottleneck adapter of a model, as
 * {@link saveBottleneckAdapter} writes them.
 *
 * @example
 * ```ts
 * const { config, tensors } = bottleneckAdapterContents(adapted, { name: "sst2" });
 * ```
 */
export function bottleneckAdapterContents(
  model: Module,
  options: SaveBottleneckAdapterOptions = {},
): { config: BottleneckAdapterFileConfig; tensors: Record<string, Parameter["value"]> } {
  const names = adapterNames(model);
  const name = options.name ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined || !names.includes(name)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `saveBottleneckAdapter: ${options.name === undefined ? "name which adapter to save" : `no adapter "${options.name}"`}; the model has [${names.join(", ")}]`,
    );
  }
  const holders = adapterSites(model).filter(([, s]) => s.adapters.get(name));
  const first = holders[0]![1].adapters.get(name)!;
  const kinds = [
    ...new Set(holders.map(([p]) => (p.endsWith("attention.output") ? "attention.output" : "output"))),
  ];
  const architecture: AdapterArchitecture =
    first.placement === "parallel" ? "parallel" : kinds.includes("attention.output") ? "houlsby" : "pfeiffer";
  const bert = bertModelOf(model);
  const head = model.namedChildren().find(([n]) => n === "classifier")?.[1];
  const includeHead = options.includeHead ?? head?.parameters().some((p) => p.trainable) ?? false;
  if (includeHead && !head) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "saveBottleneckAdapter: includeHead is true but the model has no classifier",
    );
  }
  const tensors: Record<string, Parameter["value"]> = {};
  for (const [path, site] of holders) {
    for (const [local, p] of (site as AdapterSite).adapters.get(name)!.namedParameters()) {
      tensors[keyOf(model, `${path}.adapters.${name}.${local}`)] = p.value;
    }
  }
  if (includeHead && head)
    for (const [local, p] of head.namedParameters()) tensors[`classifier.${local}`] = p.value;
  const config: BottleneckAdapterFileConfig = {
    format: BOTTLENECK_FORMAT,
    name,
    architecture,
    reduction_factor: first.reductionFactor,
    bottleneck_size: first.bottleneck,
    non_linearity: first.nonLinearity,
    scaling: first.scaling,
    sites: kinds,
    hidden_size: bert.config.hiddenSize,
    num_layers: bert.config.numHiddenLayers,
    includes_head: includeHead,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    ...(first.lnAfter ? { ln_after: true, residual_before_ln: false } : {}),
  };
  return { config, tensors };
}

/**
 * Writes one bottleneck adapter (and optionally the head) as `adapter_config.json`
 * ({@link BottleneckAdapterFileConfig}) + `adapter_model.safetensors` in `dir`.
 *
 * @example
 * ```ts
 * await saveBottleneckAdapter(adapted, "out/sst2-adapter");
 * ```
 */
export async function saveBottleneckAdapter(
  model: Module,
  dir: string,
  options: SaveBottleneckAdapterOptions = {},
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const { config, tensors } = bottleneckAdapterContents(model, options);
  return writeAdapterFolder(dir, config, tensors);
}

/**
 * Validates a parsed `adapter_config.json` of format `tunekit-bottleneck/1`.
 *
 * @example
 * ```ts
 * const config = parseBottleneckAdapterConfig(JSON.parse(text), "adapter_config.json");
 * ```
 */
export function parseBottleneckAdapterConfig(json: unknown, source: string): BottleneckAdapterFileConfig {
  const bad = (key: string, want: string, got: unknown): never => {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: "${key}" must be ${want}, got ${JSON.stringify(got)}; files in this format are written by saveBottleneckAdapter`,
    );
  };
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return bad("(root)", "an object", json);
  const o = json as Record<string, unknown>;
  if (o.format !== BOTTLENECK_FORMAT) bad("format", `"${BOTTLENECK_FORMAT}"`, o.format);
  const str = (k: string): string =>
    typeof o[k] === "string" && o[k] !== "" ? (o[k] as string) : bad(k, "a string", o[k]);
  const num = (k: string, int: boolean): number => {
    const v = o[k];
    return typeof v === "number" && Number.isFinite(v) && v > 0 && (!int || Number.isInteger(v))
      ? v
      : bad(k, int ? "a positive integer" : "a positive number", v);
  };
  const architecture = str("architecture");
  if (!["houlsby", "pfeiffer", "parallel"].includes(architecture))
    bad("architecture", "houlsby, pfeiffer or parallel", architecture);
  const nonLinearity = str("non_linearity");
  if (!ADAPTER_NON_LINEARITIES.includes(nonLinearity as AdapterNonLinearity)) {
    bad("non_linearity", ADAPTER_NON_LINEARITIES.join(", "), nonLinearity);
  }
  if (typeof o.includes_head !== "boolean") bad("includes_head", "true or false", o.includes_head);
  if (typeof o.scaling !== "number" || !Number.isFinite(o.scaling)) bad("scaling", "a number", o.scaling);
  const lnAfter = o.ln_after ?? false;
  if (typeof lnAfter !== "boolean") bad("ln_after", "true or false", o.ln_after);
  if (lnAfter && o.residual_before_ln !== false) {
    bad(
      "residual_before_ln",
      "false when ln_after is true (the residual is added after adapter_norm_after; AdapterHub's residual_before_ln: true is not supported)",
      o.residual_before_ln,
    );
  }
  return {
    format: BOTTLENECK_FORMAT,
    name: str("name"),
    architecture: architecture as AdapterArchitecture,
    reduction_factor: num("reduction_factor", false),
    bottleneck_size: num("bottleneck_size", true),
    non_linearity: nonLinearity as AdapterNonLinearity,
    scaling: o.scaling as number,
    sites: Array.isArray(o.sites) ? (o.sites as string[]) : bad("sites", "a list of site names", o.sites),
    hidden_size: num("hidden_size", true),
    num_layers: num("num_layers", true),
    includes_head: o.includes_head as boolean,
    base_model_name_or_path: typeof o.base_model_name_or_path === "string" ? o.base_model_name_or_path : null,
    ...(lnAfter ? { ln_after: true, residual_before_ln: false } : {}),
  };
}

/**
 * Adds a saved bottleneck adapter to `model` (returns a new adapted model, as
 * `strategy.apply` does): checks the config against the model (hidden size, layers,
 * bottleneck size), then loads the tensors strictly — missing, unexpected or mis-shaped
 * tensors are a `CHECKPOINT_MISMATCH` error listing names and shapes.
 *
 * @example
 * ```ts
 * const adapted = await loadBottleneckAdapter(model, "out/sst2-adapter");
 * ```
 */
export async function loadBottleneckAdapter<M extends Module>(model: M, dir: string): Promise<M> {
  const { path: configPath, json } = await readAdapterConfigJson(dir);
  const config = parseBottleneckAdapterConfig(json, configPath);
  const { config: bertConfig } = bertModelOf(model);
  if (config.hidden_size !== bertConfig.hiddenSize || config.num_layers !== bertConfig.numHiddenLayers) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: the adapter was saved for hidden_size ${config.hidden_size} and ${config.num_layers} layers, but the model has hidden_size ${bertConfig.hiddenSize} and ${bertConfig.numHiddenLayers} layers; load it into the base model it was trained on`,
    );
  }
  // Validate, then build: the sizes the file claims are checked before any weight is allocated.
  let expectedBottleneck: number;
  try {
    expectedBottleneck = bottleneckSize(config.hidden_size, config.reduction_factor);
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${configPath}: ${(e as Error).message}`, { cause: e });
  }
  if (expectedBottleneck !== config.bottleneck_size) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: bottleneck_size ${config.bottleneck_size} does not follow from hidden_size ${config.hidden_size} / reduction_factor ${config.reduction_factor} (= ${expectedBottleneck})`,
    );
  }
  const adapted = bottleneckAdapter(config.architecture, {
    name: config.name,
    reductionFactor: config.reduction_factor,
    nonLinearity: config.non_linearity,
    scaling: config.scaling,
    trainHead: config.includes_head,
    lnAfter: config.ln_after ?? false,
  }).apply(model);
  const expected = new Map<string, Parameter>();
  let bottleneck = 0;
  for (const [path, site] of adapterSites(adapted)) {
    const a: BottleneckAdapter | undefined = site.adapters.get(config.name);
    if (!a) continue;
    bottleneck = a.bottleneck;
    for (const [local, p] of a.namedParameters())
      expected.set(keyOf(adapted, `${path}.adapters.${config.name}.${local}`), p);
  }
  if (bottleneck !== config.bottleneck_size) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: bottleneck_size ${config.bottleneck_size} does not follow from hidden_size ${config.hidden_size} / reduction_factor ${config.reduction_factor} (= ${bottleneck})`,
    );
  }
  if (config.includes_head) {
    const head = adapted.namedChildren().find(([n]) => n === "classifier")?.[1];
    if (!head) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${configPath}: the file holds a classifier head but the model (${adapted.constructor.name}) has none; load it into a BertForSequenceClassification / BertForTokenClassification`,
      );
    }
    for (const [local, p] of head.namedParameters()) expected.set(`classifier.${local}`, p);
  }
  const weightsPath = join(dir, "adapter_model.safetensors");
  const { tensors } = await readSafetensorsFile(weightsPath);
  assignTensorsStrictly(expected, tensors, weightsPath);
  return adapted;
}
