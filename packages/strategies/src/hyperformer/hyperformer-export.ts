import { type HostTensor, hostTensor, type Module, type Parameter, TunekitError } from "@tunekit/core";
import { evaluateGraphFloat64, Graph } from "@tunekit/core/ir";
import { BOTTLENECK_FORMAT, type BottleneckAdapterFileConfig } from "../adapters/adapter-file.js";
import { bertModelOf } from "../adapters/bottleneck-strategies.js";
import { checkAdapterName } from "../adapters/composition.js";
import { writeAdapterFolder } from "../peft/adapter-folder-io.js";
import { hypernetworkOf } from "./hyperformer-strategy.js";
import { HYPERFORMER_POSITIONS } from "./hypernetwork.js";

/**
 * Options of {@link exportHyperFormerTaskAdapter}.
 *
 * @example
 * ```ts
 * const o: ExportTaskAdapterOptions = { task: "mrpc", includeHead: true };
 * ```
 */
export interface ExportTaskAdapterOptions {
  /** The task whose adapters to export. */
  readonly task: string;
  /** Adapter name in the folder (default: the task name). */
  readonly name?: string;
  /** Save the `classifier` head too (default: when the model has one). */
  readonly includeHead?: boolean;
  readonly baseModelNameOrPath?: string;
}

const FIELDS = [
  ["downWeight", "adapter_down.0.weight"],
  ["downBias", "adapter_down.0.bias"],
  ["upWeight", "adapter_up.weight"],
  ["upBias", "adapter_up.bias"],
  ["lnWeight", "adapter_norm_after.weight"],
  ["lnBias", "adapter_norm_after.bias"],
] as const;

/**
 * The adapters a HyperFormer model generates for one task, as the config and tensors of a
 * plain `tunekit-bottleneck/1` adapter (Houlsby placement: both sites of every layer,
 * sequential, scaling 1, `ln_after` with the residual after it): `adapter_down.0` = `D, b_D`,
 * `adapter_up` = `U, b_U`, `adapter_norm_after` = `γ, β`. Generated on the host in float64
 * from the hypernetwork's current values and stored as float32.
 *
 * @example
 * ```ts
 * const { config, tensors } = hyperformerTaskAdapterContents(adapted, { task: "mrpc" });
 * ```
 */
export function hyperformerTaskAdapterContents(
  model: Module,
  options: ExportTaskAdapterOptions,
): { config: BottleneckAdapterFileConfig; tensors: Record<string, HostTensor> } {
  const { hypernetwork: hn } = hypernetworkOf(model);
  const taskIndex = hn.tasks.indexOf(options.task);
  if (taskIndex < 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `exportHyperFormerTaskAdapter: no task ${JSON.stringify(options.task)}; the hypernetwork has [${hn.tasks.join(", ")}]`,
    );
  }
  if (hn.config.adapterLayerNormEps !== 1e-5) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `exportHyperFormerTaskAdapter: the hypernetwork's adapter LayerNorm eps is ${hn.config.adapterLayerNormEps}, but a bottleneck adapter's adapter_norm_after uses 1e-5; only hypernetworks with adapterLayerNormEps 1e-5 (the default) export exactly`,
    );
  }
  const name = options.name ?? options.task;
  checkAdapterName(name);
  const bert = bertModelOf(model);
  const bertPath = model.namedModules().find(([, m]) => m === bert)![0];
  const root = bertPath === "" ? "bert" : bertPath;
  const g = new Graph();
  const sites = hn.generate(g);
  const { numLayers, hiddenSize, bottleneck } = hn.config;
  for (let l = 0; l < numLayers; l++) {
    HYPERFORMER_POSITIONS.forEach((_site, k) => {
      const w = sites(l, k);
      for (const [field] of FIELDS) g.output(`${l}.${k}.${field}`, w[field]);
    });
  }
  const values = evaluateGraphFloat64(g, {});
  const tensors: Record<string, HostTensor> = {};
  for (let l = 0; l < numLayers; l++) {
    HYPERFORMER_POSITIONS.forEach((site, k) => {
      for (const [field, key] of FIELDS) {
        const all = values[`${l}.${k}.${field}`]!;
        const shape = all.shape.slice(1);
        const per = all.data.length / hn.tasks.length;
        const row = Float32Array.from(all.data.subarray(taskIndex * per, (taskIndex + 1) * per));
        tensors[`${root}.encoder.layer.${l}.${site}.adapters.${name}.${key}`] = hostTensor(
          "float32",
          shape,
          row,
        );
      }
    });
  }
  const head = model.namedChildren().find(([n]) => n === "classifier")?.[1];
  const includeHead = options.includeHead ?? head !== undefined;
  if (includeHead) {
    if (!head) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `exportHyperFormerTaskAdapter: includeHead is true but ${model.constructor.name} has no classifier; export per-task heads with their owner`,
      );
    }
    for (const [local, p] of head.namedParameters() as [string, Parameter][])
      tensors[`classifier.${local}`] = p.value;
  }
  const config: BottleneckAdapterFileConfig = {
    format: BOTTLENECK_FORMAT,
    name,
    architecture: "houlsby",
    reduction_factor: hn.config.reductionFactor,
    bottleneck_size: bottleneck,
    non_linearity: hn.config.nonLinearity,
    scaling: 1,
    sites: [...HYPERFORMER_POSITIONS],
    hidden_size: hiddenSize,
    num_layers: numLayers,
    includes_head: includeHead,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    ln_after: true,
    residual_before_ln: false,
  };
  return { config, tensors };
}

/**
 * Writes one task's generated adapters as a plain bottleneck-adapter folder
 * (`adapter_config.json` + `adapter_model.safetensors`, format `tunekit-bottleneck/1`) that
 * `loadBottleneckAdapter` / `loadAdapterFolder` read into the base model: inference for that
 * task then needs no hypernetwork and no `task_ids`, and computes what the hypernetwork
 * model computes on that task.
 *
 * @example
 * ```ts
 * await exportHyperFormerTaskAdapter(adapted, "out/mrpc-adapter", { task: "mrpc" });
 * const mrpc = await loadAdapterFolder(base, "out/mrpc-adapter");
 * ```
 */
export async function exportHyperFormerTaskAdapter(
  model: Module,
  dir: string,
  options: ExportTaskAdapterOptions,
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const { config, tensors } = hyperformerTaskAdapterContents(model, options);
  return writeAdapterFolder(dir, config, tensors);
}
