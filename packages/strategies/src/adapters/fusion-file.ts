import { join } from "node:path";
import {
  type HostTensor,
  type Module,
  type Parameter,
  readSafetensorsFile,
  TunekitError,
} from "@tunekit/core";
import { adapterFusion } from "./adapter-composition.js";
import { adapterSites } from "./adapter-site.js";
import { bertModelOf } from "./bottleneck-strategies.js";
import { Fuse, fusionName } from "./composition.js";
import { assignTensorsStrictly } from "./strict-tensors.js";
import { readAdapterConfigJson, writeAdapterFolder } from "../peft/adapter-folder-io.js";

/**
 * The `format` tag of tunekit's AdapterFusion files.
 *
 * @example
 * ```ts
 * config.format === FUSION_FORMAT; // "tunekit-fusion/1"
 * ```
 */
export const FUSION_FORMAT = "tunekit-fusion/1";

/**
 * `adapter_config.json` of a saved AdapterFusion (`format: "tunekit-fusion/1"`). Tensors:
 * `bert.encoder.layer.<i>.<site>.adapter_fusion_layer.<a,b>.{query,key}.{weight,bias}` and
 * `….value.weight`, plus `classifier.{weight,bias}` when `includes_head`. The fused adapters
 * themselves are saved separately (`saveBottleneckAdapter`, one folder each).
 *
 * @example
 * ```ts
 * const config: FusionFileConfig = JSON.parse(await readFile("out/fusion/adapter_config.json", "utf8"));
 * config.adapters; // ["sst2", "mnli"]
 * ```
 */
export interface FusionFileConfig {
  readonly format: typeof FUSION_FORMAT;
  /** The fused adapters, in fusion order. */
  readonly adapters: readonly string[];
  readonly hidden_size: number;
  readonly num_layers: number;
  readonly includes_head: boolean;
}

function keyOf(model: Module, path: string): string {
  const bertPath = model.namedModules().find(([, m]) => m === bertModelOf(model))![0];
  return bertPath === "" ? `bert.${path}` : path;
}

function fusionParameters(model: Module, name: string): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  for (const [path, site] of adapterSites(model)) {
    const table = site.namedChildren().find(([n]) => n === "adapter_fusion_layer")?.[1];
    const layer = table?.namedChildren().find(([n]) => n === name)?.[1];
    if (!layer) continue;
    for (const [local, p] of layer.namedParameters()) {
      out.set(keyOf(model, `${path}.adapter_fusion_layer.${name}.${local}`), p);
    }
  }
  return out;
}

/**
 * Writes the fusion layers of `Fuse(...adapters)` (and optionally the head) as a
 * `tunekit-fusion/1` folder.
 *
 * @example
 * ```ts
 * await saveAdapterFusion(fused, "out/fusion", { adapters: ["sst2", "mnli"] });
 * ```
 */
export async function saveAdapterFusion(
  model: Module,
  dir: string,
  options: { adapters: readonly string[]; includeHead?: boolean },
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const name = fusionName(Fuse(...options.adapters));
  const params = fusionParameters(model, name);
  if (params.size === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `saveAdapterFusion: the model has no fusion layer "${name}"; apply adapterFusion([${options.adapters.map((a) => JSON.stringify(a)).join(", ")}]) first`,
    );
  }
  const head = model.namedChildren().find(([n]) => n === "classifier")?.[1];
  const includeHead = options.includeHead ?? head?.parameters().some((p) => p.trainable) ?? false;
  const tensors: Record<string, HostTensor> = {};
  for (const [k, p] of params) tensors[k] = p.value;
  if (includeHead && head)
    for (const [local, p] of head.namedParameters()) tensors[`classifier.${local}`] = p.value;
  const bert = bertModelOf(model).config;
  const config: FusionFileConfig = {
    format: FUSION_FORMAT,
    adapters: [...options.adapters],
    hidden_size: bert.hiddenSize,
    num_layers: bert.numHiddenLayers,
    includes_head: includeHead && head !== undefined,
  };
  return writeAdapterFolder(dir, config, tensors);
}

/**
 * Adds a saved AdapterFusion to a model that already has the fused adapters (load them first
 * with `loadBottleneckAdapter`): applies `adapterFusion(adapters)` and loads the fusion
 * layers (and head) strictly.
 *
 * @example
 * ```ts
 * let model = await loadBottleneckAdapter(base, "out/sst2");
 * model = await loadBottleneckAdapter(model, "out/mnli");
 * model = await loadAdapterFusion(model, "out/fusion");
 * ```
 */
export async function loadAdapterFusion<M extends Module>(model: M, dir: string): Promise<M> {
  const { path: configPath, json } = await readAdapterConfigJson(dir);
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (o?.format !== FUSION_FORMAT || !Array.isArray(o.adapters) || typeof o.includes_head !== "boolean") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: expected a "${FUSION_FORMAT}" config with "adapters" (list) and "includes_head" (boolean), got format ${JSON.stringify(o?.format)}; files in this format are written by saveAdapterFusion`,
    );
  }
  const bert = bertModelOf(model).config;
  if (o.hidden_size !== bert.hiddenSize || o.num_layers !== bert.numHiddenLayers) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: saved for hidden_size ${o.hidden_size} and ${o.num_layers} layers, but the model has hidden_size ${bert.hiddenSize} and ${bert.numHiddenLayers} layers`,
    );
  }
  const adapters = o.adapters as string[];
  const adapted = adapterFusion(adapters, { trainHead: o.includes_head }).apply(model);
  const expected = fusionParameters(adapted, fusionName(Fuse(...adapters)));
  if (o.includes_head) {
    const head = adapted.namedChildren().find(([n]) => n === "classifier")?.[1];
    if (!head)
      throw new TunekitError(
        "CONFIG_INVALID",
        `${configPath}: the file holds a classifier head but the model has none`,
      );
    for (const [local, p] of head.namedParameters()) expected.set(`classifier.${local}`, p);
  }
  const weightsPath = join(dir, "adapter_model.safetensors");
  const { tensors } = await readSafetensorsFile(weightsPath);
  assignTensorsStrictly(expected, tensors, weightsPath);
  return adapted;
}
