import { type Dataset, type DatasetSplits, loadDataset, TunekitError } from "@tunekit/core";
import { type DatasetConfig, parseDatasetConfig, subsetDataset } from "@tunekit/core/data";
import { readConfigFile } from "../config/config-file.js";
import type { CliTask, DataSpec } from "../config/train-config.js";

/**
 * The data set of a config, with `maxRows` applied (the first N rows of each split).
 *
 * @example
 * ```ts
 * const { splits, datasetConfig } = await loadDataSpec(config.data);
 * splits.train?.texts.length;
 * ```
 */
export interface LoadedData {
  readonly datasetConfig: DatasetConfig;
  readonly splits: DatasetSplits;
}

/**
 * Reads the data set config a {@link DataSpec} points at (or its inline one) and loads every
 * split through core's `loadDataset`, relative paths resolved against `spec.baseDir`.
 *
 * @example
 * ```ts
 * const data = await loadDataSpec({ configPath: "/repo/examples/data/rte.json", baseDir: "/repo", maxRows: { train: 200 }, evalSplit: "validation" });
 * ```
 */
export async function loadDataSpec(spec: DataSpec): Promise<LoadedData> {
  const datasetConfig =
    spec.inline ??
    parseDatasetConfig(await readConfigFile(spec.configPath!), spec.configPath ?? "data.config");
  const full = await loadDataset(datasetConfig, { baseDir: spec.baseDir });
  const limit = (ds: Dataset | undefined, n: number | undefined): Dataset | undefined => {
    if (ds === undefined || n === undefined || n >= ds.texts.length) return ds;
    return subsetDataset(
      ds,
      Int32Array.from({ length: n }, (_, i) => i),
      ds.split,
    );
  };
  const splits: DatasetSplits = {
    name: full.name,
    task: full.task,
    labelNames: full.labelNames,
    ...optional("train", limit(full.train, spec.maxRows.train)),
    ...optional("validation", limit(full.validation, spec.maxRows.validation)),
    ...optional("test", limit(full.test, spec.maxRows.test)),
  };
  return { datasetConfig, splits };
}

/**
 * The task of a run: the config's `task`, else `regression` for regression data sets and
 * `sequence-classification` otherwise. A mismatch between the two is a config error.
 *
 * @example
 * ```ts
 * resolveTask(undefined, splits); // "regression" for STS-B
 * ```
 */
export function resolveTask(configured: CliTask | undefined, splits: DatasetSplits): CliTask {
  const fromData: CliTask = splits.task === "regression" ? "regression" : "sequence-classification";
  if (configured !== undefined && configured !== fromData) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `task is "${configured}" but the data set "${splits.name}" is ${splits.task} data; ` +
        `set task to "${fromData}" (or leave it out), or set "task" in the data set config`,
    );
  }
  return fromData;
}

/**
 * The split `name` of `splits`, or a `DATA_INVALID` error listing the splits there are.
 *
 * @example
 * ```ts
 * const train = requireSplit(splits, "train", "training");
 * ```
 */
export function requireSplit(
  splits: DatasetSplits,
  name: "train" | "validation" | "test",
  purpose: string,
): Dataset {
  const ds = splits[name];
  if (ds === undefined) {
    const have = (["train", "validation", "test"] as const).filter((s) => splits[s] !== undefined);
    throw new TunekitError(
      "DATA_INVALID",
      `${purpose} needs the "${name}" split, but data set "${splits.name}" has only: ${have.join(", ") || "(none)"}; ` +
        `add splits.${name} (or a holdout) to the data set config${name === "validation" ? ', or set data.evalSplit to "test"' : ""}`,
    );
  }
  if (ds.texts.length === 0) {
    throw new TunekitError("DATA_INVALID", `${purpose}: split "${name}" of "${splits.name}" has no rows`);
  }
  return ds;
}

function optional<K extends string>(key: K, ds: Dataset | undefined): { [P in K]?: Dataset } {
  return (ds === undefined ? {} : { [key]: ds }) as { [P in K]?: Dataset };
}
