import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isTunekitError, TunekitError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-write.js";
import { bertConfigToJson } from "../io/bert-config.js";
import { readJsonFile } from "../io/read-json-file.js";
import { readSafetensorsFile, writeSafetensorsFile } from "../io/safetensors-file.js";
import type { OptimizerConfig } from "../optim/optimizer.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { TrainerModel } from "../trainer/trainer-model.js";
import { CHECKPOINT_FILES, parseTrainerState, type TrainerStateJson } from "./trainer-state.js";

/**
 * Everything in a training checkpoint folder.
 *
 * @example
 * ```ts
 * const ckpt = await loadTrainingCheckpoint("runs/sst2/checkpoint-100");
 * ckpt.state.step; // 100
 * ```
 */
export interface TrainingCheckpoint {
  readonly folder: string;
  /** Every model parameter by Hugging Face name. */
  readonly model: ReadonlyMap<string, HostTensor>;
  /** Optimizer slots by `<param>::<slot>`. */
  readonly optimizer: Readonly<Record<string, HostTensor>>;
  /** Gradient accumulators by `<param>::grad_acc` (empty at an update boundary). */
  readonly accumulators: Readonly<Record<string, HostTensor>>;
  readonly optimizerConfig: OptimizerConfig;
  readonly state: TrainerStateJson;
  /** Parsed `config.json`, when the folder has one. */
  readonly config: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What {@link saveTrainingCheckpoint} writes.
 *
 * @example
 * ```ts
 * await saveTrainingCheckpoint("runs/x/checkpoint-10", { model, optimizer, accumulators, optimizerConfig, state });
 * ```
 */
export interface TrainingCheckpointContents {
  readonly model: TrainerModel;
  readonly optimizer: Readonly<Record<string, HostTensor>>;
  readonly accumulators: Readonly<Record<string, HostTensor>>;
  readonly optimizerConfig: OptimizerConfig;
  readonly state: TrainerStateJson;
  /**
   * Called with the temporary folder once the checkpoint's own files are in it, before it is
   * renamed into place: files written there are committed atomically with the checkpoint.
   */
  readonly beforeCommit?: (tmpDir: string) => Promise<void>;
}

const ACC_SUFFIX = "::grad_acc";
const OPTIMIZER_CONFIG_KEY = "optimizer_config";

/**
 * The Hugging Face `config.json` object of `model` (`architectures`, `id2label`,
 * `label2id`), or `undefined` when the model has no BERT config.
 *
 * @example
 * ```ts
 * const json = modelConfigJson(model); // { model_type: "bert", architectures: ["BertForSequenceClassification"], ... }
 * ```
 */
export function modelConfigJson(model: TrainerModel): Record<string, unknown> | undefined {
  if (model.config === undefined) return undefined;
  const json: Record<string, unknown> = { ...bertConfigToJson(model.config) };
  json.architectures = [model.constructor.name];
  if (model.labels !== undefined) {
    json.id2label = Object.fromEntries(model.labels.map((l, i) => [String(i), l]));
    json.label2id = Object.fromEntries(model.labels.map((l, i) => [l, i]));
    delete json.num_labels;
  }
  if (model.tasks !== undefined) {
    // a multi-task model's heads, so a checkpoint says which head is which
    json.task_heads = model.tasks.map((t) => ({ ...t, labels: [...t.labels] }));
    delete json.num_labels;
  }
  return json;
}

/**
 * Writes a training checkpoint folder atomically: all files go to a temporary sibling
 * folder, which is then renamed to `folder` (an existing `folder` is replaced). A crash
 * leaves either the old folder or the complete new one. Files: see {@link CHECKPOINT_FILES}.
 *
 * @example
 * ```ts
 * await saveTrainingCheckpoint("runs/sst2/checkpoint-200", contents);
 * ```
 */
export async function saveTrainingCheckpoint(folder: string, c: TrainingCheckpointContents): Promise<void> {
  const parent = dirname(folder);
  const tmp = join(parent, `.${basename(folder)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await mkdir(tmp, { recursive: true });
    const all: Record<string, HostTensor> = {};
    const trainable: Record<string, HostTensor> = {};
    for (const [name, p] of c.model.namedParameters()) {
      all[name] = p.value;
      if (p.trainable) trainable[name] = p.value;
    }
    await writeSafetensorsFile(join(tmp, CHECKPOINT_FILES.model), all, { format: "pt" });
    await writeSafetensorsFile(join(tmp, CHECKPOINT_FILES.trainable), trainable, { format: "pt" });
    await writeSafetensorsFile(
      join(tmp, CHECKPOINT_FILES.optimizer),
      { ...c.optimizer, ...c.accumulators },
      { format: "tunekit", [OPTIMIZER_CONFIG_KEY]: JSON.stringify(c.optimizerConfig) },
    );
    const config = modelConfigJson(c.model);
    if (config !== undefined)
      await writeFileAtomic(join(tmp, CHECKPOINT_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    await writeFileAtomic(join(tmp, CHECKPOINT_FILES.trainerState), `${JSON.stringify(c.state, null, 2)}\n`);
    await c.beforeCommit?.(tmp);
    const old = await stat(folder).then(
      () => true,
      () => false,
    );
    if (old) {
      const trash = `${tmp}.old`;
      await rename(folder, trash);
      await rename(tmp, folder);
      await rm(trash, { recursive: true, force: true });
    } else {
      await rename(tmp, folder);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (isTunekitError(e)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new TunekitError(
      "IO_ERROR",
      `could not write checkpoint ${folder}: ${reason}; check that the folder is writable`,
      {
        cause: e,
      },
    );
  }
}

async function readTensors(
  folder: string,
  file: string,
): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  const path = join(folder, file);
  try {
    const { tensors, metadata } = await readSafetensorsFile(path, { copy: true });
    return { tensors, metadata: { ...metadata } };
  } catch (e) {
    const missing =
      isTunekitError(e, "IO_ERROR") && (e.cause as { code?: string } | undefined)?.code === "ENOENT";
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      missing
        ? `${path} is missing; a training checkpoint folder holds ${Object.values(CHECKPOINT_FILES).join(", ")}`
        : `${path} is not a valid safetensors file: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e, details: { file: path } },
    );
  }
}

async function readJson(path: string, optional: boolean): Promise<unknown> {
  // A regular file under 64 MiB: a trainer_state.json linked to /dev/zero must not hang.
  return readJsonFile(path, {
    what: "checkpoint file",
    maxBytes: 64 * 1024 * 1024,
    invalidCode: "CHECKPOINT_INVALID",
    unreadableCode: "CHECKPOINT_INVALID",
    unreadableHint: "; expected a training checkpoint folder",
    optional,
  });
}

/**
 * Reads and validates a training checkpoint folder. A missing folder or file, bad JSON,
 * a damaged safetensors file or inconsistent contents throw `CHECKPOINT_INVALID` naming
 * the file and what is wrong.
 *
 * @example
 * ```ts
 * const { state, optimizer } = await loadTrainingCheckpoint("runs/sst2/checkpoint-100");
 * ```
 */
export async function loadTrainingCheckpoint(folder: string): Promise<TrainingCheckpoint> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${folder} is not a folder; pass a checkpoint folder such as runs/x/checkpoint-100`,
      {
        details: { file: folder },
      },
    );
  }
  const statePath = join(folder, CHECKPOINT_FILES.trainerState);
  const state = parseTrainerState(await readJson(statePath, false), statePath);
  const model = (await readTensors(folder, CHECKPOINT_FILES.model)).tensors;
  const opt = await readTensors(folder, CHECKPOINT_FILES.optimizer);
  const optPath = join(folder, CHECKPOINT_FILES.optimizer);
  const rawConfig = opt.metadata[OPTIMIZER_CONFIG_KEY];
  let optimizerConfig: OptimizerConfig;
  try {
    optimizerConfig = JSON.parse(rawConfig ?? "") as OptimizerConfig;
    if (
      typeof optimizerConfig !== "object" ||
      optimizerConfig === null ||
      typeof optimizerConfig.type !== "string"
    )
      throw new Error("no type");
  } catch {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${optPath}: metadata "${OPTIMIZER_CONFIG_KEY}" is ${JSON.stringify(rawConfig)}, expected the optimizer config as JSON`,
      { details: { file: optPath } },
    );
  }
  const optimizer: Record<string, HostTensor> = {};
  const accumulators: Record<string, HostTensor> = {};
  for (const [name, t] of opt.tensors) {
    const param = name.slice(0, name.lastIndexOf("::"));
    if (!name.includes("::") || !model.has(param)) {
      throw new TunekitError(
        "CHECKPOINT_INVALID",
        `${optPath}: tensor "${name}" names no parameter of ${CHECKPOINT_FILES.model}; expected "<parameter>::<slot>"`,
        { details: { file: optPath } },
      );
    }
    if (name.endsWith(ACC_SUFFIX)) accumulators[name] = t;
    else optimizer[name] = t;
  }
  for (const name of state.trainableParameters) {
    if (!model.has(name)) {
      throw new TunekitError(
        "CHECKPOINT_INVALID",
        `${statePath}: trainable parameter "${name}" is not in ${CHECKPOINT_FILES.model}`,
        { details: { file: statePath } },
      );
    }
  }
  const configPath = join(folder, CHECKPOINT_FILES.config);
  const config = await readJson(configPath, true);
  if (config !== undefined && (typeof config !== "object" || config === null || Array.isArray(config))) {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${configPath}: expected a JSON object (a Hugging Face config.json), got ${JSON.stringify(config)?.slice(0, 40)}`,
      { details: { file: configPath } },
    );
  }
  return {
    folder,
    model,
    optimizer,
    accumulators,
    optimizerConfig,
    state,
    config: config as Record<string, unknown> | undefined,
  };
}
