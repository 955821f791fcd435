import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, loadDataset, TunekitError } from "@tunekit/core";
import { mixSeeds, mulberry32, parseDatasetConfig, permutation } from "@tunekit/core/data";
import type { InstructionTask, TaskRow } from "./tasks.js";

/**
 * A task's rows for one run: `train` (instruction tuning, LoRA per task and few-shot
 * demonstrations draw from it) and `dev` (evaluation), disjoint, each a seeded random sample.
 *
 * @example
 * ```ts
 * const { train, dev } = await loadTaskRows(TASKS.sst2!, { dataDir: "examples/data", baseDir: ".", trainRows: 256, devRows: 64, seed: 1 });
 * ```
 */
export interface TaskRows {
  readonly train: readonly TaskRow[];
  readonly dev: readonly TaskRow[];
}

/**
 * Where the data set configs are and how many rows to take.
 *
 * @example
 * ```ts
 * const o: TaskRowsOptions = { dataDir: "examples/data", baseDir: ".", trainRows: 256, devRows: 64, seed: 1 };
 * ```
 */
export interface TaskRowsOptions {
  /** Folder of the data set configs (`examples/data`). */
  readonly dataDir: string;
  /** Folder the configs' relative split paths resolve against (the repository root). */
  readonly baseDir: string;
  readonly trainRows: number;
  readonly devRows: number;
  readonly seed: number;
}

function rowsOf(ds: Dataset, order: ArrayLike<number>, from: number, count: number): TaskRow[] {
  const rows: TaskRow[] = [];
  for (let k = from; k < Math.min(order.length, from + count); k++) {
    const i = order[k]!;
    const label = ds.labelNames[ds.labels![i]!]!;
    const text2 = ds.textPairs?.[i];
    rows.push(text2 === undefined ? { text: ds.texts[i]!, label } : { text: ds.texts[i]!, text2, label });
  }
  return rows;
}

function seedOf(seed: number, name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) | 0;
  return mixSeeds(seed, h);
}

/**
 * Loads a task's data set through core's `loadDataset` (the config `task.dataset` in
 * `dataDir`) and samples `trainRows` training rows and `devRows` evaluation rows. A `carve`
 * task's evaluation rows are set aside from `train` first, so they are never trained on.
 * Throws `DATA_INVALID` when a split is missing or unlabelled, or a label has no answer word.
 *
 * @example
 * ```ts
 * const { dev } = await loadTaskRows(TASKS.rte!, { dataDir: "examples/data", baseDir: ".", trainRows: 0, devRows: 32, seed: 1 });
 * ```
 */
export async function loadTaskRows(task: InstructionTask, options: TaskRowsOptions): Promise<TaskRows> {
  const file = join(options.dataDir, task.dataset);
  const config = parseDatasetConfig(JSON.parse(await readFile(file, "utf8")), file);
  const splits = await loadDataset(config, { baseDir: options.baseDir });
  const missing = splits.labelNames.filter((l) => task.answers[l] === undefined);
  if (missing.length > 0) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}: labels ${missing.join(", ")} have no answer word in task ${task.name}; ` +
        `expected only ${Object.keys(task.answers).join(", ")}`,
    );
  }
  const split = (name: "train" | "validation" | "test"): Dataset => {
    const ds = splits[name];
    if (ds === undefined || ds.labels === undefined || ds.texts.length === 0) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}: task ${task.name} needs a labelled ${name} split; the config has none`,
      );
    }
    return ds;
  };
  const source = split(task.trainSplit);
  const trainOrder = permutation(source.texts.length, mulberry32(seedOf(options.seed, `${task.name}/train`)));
  if (task.devSplit === "carve") {
    return {
      dev: rowsOf(source, trainOrder, 0, options.devRows),
      train: rowsOf(source, trainOrder, options.devRows, options.trainRows),
    };
  }
  const devSet = split(task.devSplit);
  const devOrder = permutation(devSet.texts.length, mulberry32(seedOf(options.seed, `${task.name}/dev`)));
  return {
    dev: rowsOf(devSet, devOrder, 0, options.devRows),
    train: rowsOf(source, trainOrder, 0, options.trainRows),
  };
}

/**
 * Few-shot demonstrations: the first row of each label in `train` (in label order of
 * `task.answers`), so every answer word is shown once. Labels with no row are skipped.
 *
 * @example
 * ```ts
 * fewShotRows(TASKS.sst2!, train).map((r) => r.label); // ["negative", "positive"]
 * ```
 */
export function fewShotRows(task: InstructionTask, train: readonly TaskRow[]): TaskRow[] {
  const out: TaskRow[] = [];
  for (const label of Object.keys(task.answers)) {
    const row = train.find((r) => r.label === label);
    if (row !== undefined) out.push(row);
  }
  return out;
}
