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
import { assignTensorsStrictly } from "../adapters/strict-tensors.js";
import { addHyperFormerTask, taskHeadParameters } from "./add-task.js";
import { hypernetworkOf } from "./hyperformer-strategy.js";
import type { HyperFormerVariant } from "./hypernetwork.js";

/**
 * The `format` tag and file names of a single HyperFormer task (a task added to a trained
 * hypernetwork): `hyperformer_task.json` ({@link HyperFormerTaskFileConfig}) and
 * `hyperformer_task.safetensors` with `task_embedding` `[t]` and, with `includes_head`, the
 * task's head under its model paths (`heads.<task>.*` or `classifier.*`).
 *
 * @example
 * ```ts
 * join(dir, HYPERFORMER_TASK_FILES.weights); // ".../hyperformer_task.safetensors"
 * ```
 */
export const HYPERFORMER_TASK_FILES = Object.freeze({
  format: "tunekit-hyperformer-task/1",
  config: "hyperformer_task.json",
  weights: "hyperformer_task.safetensors",
});

/**
 * `hyperformer_task.json`: which task, and the hypernetwork it belongs to (checked on load).
 *
 * @example
 * ```ts
 * const c: HyperFormerTaskFileConfig = JSON.parse(await readFile("qnli/hyperformer_task.json", "utf8"));
 * ```
 */
export interface HyperFormerTaskFileConfig {
  readonly format: "tunekit-hyperformer-task/1";
  readonly task: string;
  readonly variant: HyperFormerVariant;
  readonly task_embedding_dim: number;
  readonly hidden_size: number;
  readonly num_layers: number;
  readonly includes_head: boolean;
}

/**
 * Writes one task of a HyperFormer model, its embedding and (by default, when present) its
 * head: the few parameters a task added with {@link addHyperFormerTask} trains.
 *
 * @example
 * ```ts
 * await saveHyperFormerTask(withQnli, "out/qnli", "qnli");
 * ```
 */
export async function saveHyperFormerTask(
  model: Module,
  dir: string,
  task: string,
  options: { includeHead?: boolean } = {},
): Promise<{ configPath: string; weightsPath: string; keys: string[] }> {
  const { hypernetwork: hn } = hypernetworkOf(model);
  if (!hn.tasks.includes(task)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `saveHyperFormerTask: no task ${JSON.stringify(task)}; the hypernetwork has [${hn.tasks.join(", ")}]`,
    );
  }
  const head = taskHeadParameters(model, task);
  const includeHead = options.includeHead ?? head.length > 0;
  const tensors: Record<string, HostTensor> = { task_embedding: hn.taskEmbeddings.embedding(task).value };
  if (includeHead) for (const [p, param] of head) tensors[p] = param.value;
  const config: HyperFormerTaskFileConfig = {
    format: HYPERFORMER_TASK_FILES.format,
    task,
    variant: hn.config.variant,
    task_embedding_dim: hn.taskEmbeddings.dim,
    hidden_size: hn.config.hiddenSize,
    num_layers: hn.config.numLayers,
    includes_head: includeHead,
  };
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, HYPERFORMER_TASK_FILES.config);
  const weightsPath = join(dir, HYPERFORMER_TASK_FILES.weights);
  await writeFileAtomic(weightsPath, writeSafetensors(tensors, { format: "pt" }));
  await writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, weightsPath, keys: Object.keys(tensors) };
}

/**
 * Adds a saved task to a HyperFormer model (a new model, as {@link addHyperFormerTask}
 * returns): checks that the file fits the hypernetwork, adds the embedding as the next task
 * id and loads the head strictly.
 *
 * @example
 * ```ts
 * const served = await loadHyperFormerTask(await loadHyperFormer(base, "out/hf"), "out/qnli");
 * ```
 */
export async function loadHyperFormerTask<M extends Module>(model: M, dir: string): Promise<M> {
  const configPath = join(dir, HYPERFORMER_TASK_FILES.config);
  const json = (await readJsonFile(configPath, {
    what: "HyperFormer task config",
    maxBytes: 1 << 20,
    invalidCode: "CONFIG_INVALID",
    unreadableHint: `; expected a folder written by saveHyperFormerTask (${HYPERFORMER_TASK_FILES.config} + ${HYPERFORMER_TASK_FILES.weights})`,
  })) as Partial<HyperFormerTaskFileConfig> | null;
  if (json?.format !== HYPERFORMER_TASK_FILES.format || typeof json.task !== "string") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: expected format "${HYPERFORMER_TASK_FILES.format}" and a task name, got ${JSON.stringify(json?.format)} / ${JSON.stringify(json?.task)}`,
    );
  }
  const { hypernetwork: hn } = hypernetworkOf(model);
  const fits =
    json.variant === hn.config.variant &&
    json.task_embedding_dim === hn.taskEmbeddings.dim &&
    json.hidden_size === hn.config.hiddenSize &&
    json.num_layers === hn.config.numLayers;
  if (!fits) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${configPath}: the task was saved for a ${json.variant} hypernetwork (t ${json.task_embedding_dim}, hidden ${json.hidden_size}, ${json.num_layers} layers), but this model's is ${hn.config.variant} (t ${hn.taskEmbeddings.dim}, hidden ${hn.config.hiddenSize}, ${hn.config.numLayers} layers); load it into the hypernetwork it was trained with`,
    );
  }
  const weightsPath = join(dir, HYPERFORMER_TASK_FILES.weights);
  const { tensors } = await readSafetensorsFile(weightsPath);
  const embedding = tensors.get("task_embedding");
  if (!embedding) {
    throw new TunekitError("CHECKPOINT_MISMATCH", `${weightsPath} has no task_embedding tensor`);
  }
  const includeHead = json.includes_head === true;
  const adapted = addHyperFormerTask(model, json.task, { init: embedding, trainHead: includeHead });
  const expected = new Map<string, Parameter>([
    ["task_embedding", hypernetworkOf(adapted).hypernetwork.taskEmbeddings.embedding(json.task)],
  ]);
  if (includeHead) for (const [p, param] of taskHeadParameters(adapted, json.task)) expected.set(p, param);
  assignTensorsStrictly(expected, tensors, weightsPath);
  return adapted;
}
