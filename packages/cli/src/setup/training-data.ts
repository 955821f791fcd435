import { type Tokenizer, type TrainerData, TunekitError } from "@tunekit/core";
import type { CliTask, DataSpec } from "../config/train-config.js";
import { loadDataSpec, requireSplit, resolveTask } from "./data-setup.js";
import { tokenizeSplit } from "./pipeline.js";
import { loadTokenData, type TokenSplit, tokenizeWords } from "./token-data.js";

/**
 * The split names of a data set.
 *
 * @example
 * ```ts
 * const split: SplitName = "validation";
 * ```
 */
export type SplitName = "train" | "validation" | "test";

/**
 * One split ready for the Trainer, with what `predict` needs to write rows back out.
 *
 * @example
 * ```ts
 * const s: PreparedSplit = { name: "validation", data, labelled: true, rows: { kind: "texts", texts, textPairs: undefined, gold: undefined } };
 * ```
 */
export interface PreparedSplit {
  readonly name: SplitName;
  readonly data: TrainerData;
  readonly labelled: boolean;
  readonly rows:
    | {
        readonly kind: "texts";
        readonly texts: readonly string[];
        readonly textPairs: readonly string[] | undefined;
        readonly gold: Int32Array | Float32Array | undefined;
      }
    | { readonly kind: "words"; readonly split: TokenSplit; readonly wordStarts: readonly Int32Array[] };
}

/**
 * A data set loaded and tokenised for a task: sequence data (core's `DatasetConfig`) or
 * token classification data (`data.tokens`).
 *
 * @example
 * ```ts
 * const d = await prepareData(config.data, config.task, tokenizer, 128, ["train", "validation"]);
 * d.splits.train?.data.lengths.length;
 * ```
 */
export interface PreparedData {
  readonly name: string;
  readonly task: Exclude<CliTask, "causal-lm">;
  readonly labelNames: readonly string[];
  readonly splits: Partial<Record<SplitName, PreparedSplit>>;
}

/**
 * Loads the data a {@link DataSpec} describes and tokenises the `wanted` splits that exist.
 * The task comes from the data (a configured `task` must agree).
 *
 * @example
 * ```ts
 * const d = await prepareData(spec, undefined, tokenizer, 64, ["train", "validation"]);
 * ```
 */
export async function prepareData(
  spec: DataSpec,
  configuredTask: CliTask | undefined,
  tokenizer: Tokenizer,
  maxLength: number,
  wanted: readonly SplitName[],
): Promise<PreparedData> {
  if (configuredTask === "causal-lm" || spec.causalLm !== undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      "this command reads BERT data sets (data.config or data.tokens); the config trains a causal LM (data.jsonl): " +
        "train it with tunekit train, run the result with tunekit generate",
    );
  }
  if (spec.tokens !== undefined) {
    if (configuredTask !== undefined && configuredTask !== "token-classification") {
      throw new TunekitError(
        "CONFIG_INVALID",
        `task is "${configuredTask}" but data.tokens holds token classification data; set task to "token-classification" (or leave it out)`,
      );
    }
    const loaded = await loadTokenData(spec.tokens, spec.baseDir, spec.maxRows);
    const splits: Partial<Record<SplitName, PreparedSplit>> = {};
    for (const name of wanted) {
      const split = loaded.splits[name];
      if (split === undefined) continue;
      const data = tokenizeWords(split, loaded.labelNames, tokenizer, maxLength);
      splits[name] = {
        name,
        data,
        labelled: split.tags !== undefined,
        rows: { kind: "words", split, wordStarts: data.wordStarts },
      };
    }
    return { name: loaded.name, task: "token-classification", labelNames: loaded.labelNames, splits };
  }
  if (configuredTask === "token-classification") {
    throw new TunekitError(
      "CONFIG_INVALID",
      'task is "token-classification" but data.config is a sequence data set; give token data as data.tokens ({ splits: { train: "train.jsonl" }, tokensKey, tagsKey })',
    );
  }
  const { splits: loaded } = await loadDataSpec(spec);
  // the configured task (not causal-lm, refused above) or one inferred from the data
  const task = resolveTask(configuredTask, loaded) as PreparedData["task"];
  const splits: Partial<Record<SplitName, PreparedSplit>> = {};
  for (const name of wanted) {
    const ds = loaded[name];
    if (ds === undefined || ds.texts.length === 0) continue;
    splits[name] = {
      name,
      data: tokenizeSplit(ds, tokenizer, maxLength),
      labelled: ds.labels !== undefined,
      rows: { kind: "texts", texts: ds.texts, textPairs: ds.textPairs, gold: ds.labels },
    };
  }
  if (wanted.includes("train") && splits.train === undefined) requireSplit(loaded, "train", "training");
  return { name: loaded.name, task, labelNames: task === "regression" ? [] : loaded.labelNames, splits };
}
