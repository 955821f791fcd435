import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "../../errors.js";
import { type BertConfig, bertConfigToJson, parseBertConfig } from "../../io/bert-config.js";
import { readBertConfig } from "../../io/hf-config.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { readModelWeights } from "../../io/model-weights.js";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
import { stateDict } from "../../modules/state-dict.js";
import { loadBertWeights } from "../bert/load-weights.js";
import { MultiTaskModel } from "./multi-task-model.js";
import type { TaskHeadSpec } from "./task-head.js";

/**
 * Writes a {@link MultiTaskModel} as a Hugging Face-style folder: `config.json` (the BERT
 * config, `architectures: ["MultiTaskModel"]` and `task_heads`, the heads in `task_ids`
 * order) and `model.safetensors` (`bert.*` and `heads.<task>.classifier.*`). Any BERT loader
 * reads the encoder from it.
 *
 * @example
 * ```ts
 * await saveMultiTaskCheckpoint(model, "runs/glue/model");
 * ```
 */
export async function saveMultiTaskCheckpoint(model: MultiTaskModel, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const json: Record<string, unknown> = { ...bertConfigToJson(model.config) };
  for (const k of ["id2label", "label2id", "num_labels", "problem_type"]) delete json[k];
  json.architectures = ["MultiTaskModel"];
  json.task_heads = model.tasks.map((t) => ({ ...t, labels: [...t.labels] }));
  json.torch_dtype = "float32";
  await writeFileAtomic(join(folder, "config.json"), `${JSON.stringify(json, null, 2)}\n`);
  await writeSafetensorsFile(join(folder, "model.safetensors"), stateDict(model), { format: "pt" });
}

/**
 * Whether the model folder's `config.json` describes a {@link MultiTaskModel}.
 *
 * @example
 * ```ts
 * if (isMultiTaskConfig(await readBertConfig(dir))) await loadMultiTaskCheckpoint(dir);
 * ```
 */
export function isMultiTaskConfig(config: BertConfig): boolean {
  return Array.isArray(config.extra.task_heads);
}

/**
 * Reads a folder written by {@link saveMultiTaskCheckpoint}: the heads from `task_heads`,
 * every weight from the folder (a head missing from the weights is `CHECKPOINT_MISMATCH`).
 *
 * @example
 * ```ts
 * const { model } = await loadMultiTaskCheckpoint("runs/glue/model");
 * model.tasks.map((t) => t.name); // ["sst2", "stsb", "rte"]
 * ```
 */
export async function loadMultiTaskCheckpoint(
  folder: string,
): Promise<{ readonly model: MultiTaskModel; readonly config: BertConfig }> {
  const raw = await readBertConfig(folder);
  const heads = raw.extra.task_heads;
  if (!Array.isArray(heads) || heads.length === 0) {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${join(folder, "config.json")}: not a multi-task model (no task_heads list); load it with loadBertCheckpoint`,
    );
  }
  const json: Record<string, unknown> = { ...bertConfigToJson(raw) };
  for (const k of ["task_heads", "architectures", "torch_dtype"]) delete json[k];
  const config = parseBertConfig(json, join(folder, "config.json"));
  let model: MultiTaskModel;
  try {
    model = new MultiTaskModel(config, heads as TaskHeadSpec[]);
  } catch (e) {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${join(folder, "config.json")}: task_heads is not valid: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const { tensors } = await readModelWeights(folder);
  const report = loadBertWeights(model, tensors);
  if (report.initialized.length > 0) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${folder}: the weights lack ${report.initialized.join(", ")}; is this the folder the multi-task model was saved to?`,
    );
  }
  return { model, config };
}
