import {
  type Backend,
  type Dataset,
  TunekitError,
  Trainer,
  type TrainerData,
  type TrainerModel,
} from "@tunekit/core";
import type { CommandContext } from "../command.js";
import { intFlag, stringFlag } from "../command.js";
import type { CliTask, TrainConfig } from "../config/train-config.js";
import { createBackend } from "./backend-setup.js";
import { loadDataSpec, requireSplit } from "./data-setup.js";
import { loadTrainedModel } from "./model-setup.js";
import { paddingBuckets, tokenizeSplit, tokenizerFor } from "./pipeline.js";
import { resolveRun } from "./run-files.js";
import { loadAdaptedModel } from "./trained-model.js";

/**
 * What `evaluate` and `predict` share: a trained model, the split to run on (tokenised),
 * and a Trainer on the config's backend. Call `dispose` when done.
 *
 * @example
 * ```ts
 * const s = await prepareTrainedRun(ctx, { defaultSplit: "validation", needLabels: true });
 * const result = await s.trainer.evaluate(s.data);
 * await s.dispose();
 * ```
 */
export interface TrainedRun {
  readonly config: TrainConfig;
  readonly modelDir: string;
  readonly task: CliTask;
  readonly labels: readonly string[];
  readonly split: string;
  readonly dataset: Dataset;
  readonly data: TrainerData;
  readonly trainer: Trainer;
  dispose(): Promise<void>;
}

/** The splits `--split` accepts. */
export const SPLITS = ["train", "validation", "test"] as const;

/**
 * Loads the run / config named by the first argument, its model (`--model` overrides), the
 * split (`--split`, default `defaultSplit`, limited by `--max-rows`) or `rows` given by the
 * caller, and a Trainer for it.
 *
 * @example
 * ```ts
 * const run = await prepareTrainedRun(ctx, { defaultSplit: "test", needLabels: false });
 * ```
 */
export async function prepareTrainedRun(
  ctx: CommandContext,
  o: {
    readonly defaultSplit: (typeof SPLITS)[number];
    readonly needLabels: boolean;
    readonly rows?: (config: TrainConfig, labels: readonly string[], task: CliTask) => Promise<Dataset>;
  },
): Promise<TrainedRun> {
  const modelFlag = stringFlag(ctx, "model");
  const { config, modelDir, record } = await resolveRun(ctx.positionals[0]!, ctx.io.cwd, modelFlag);
  let model: TrainerModel;
  let task: CliTask;
  let labels: readonly string[];
  if (record?.model === "adapted" && modelFlag === undefined) {
    ({ model } = await loadAdaptedModel(config, modelDir, record));
    task = record.task;
    labels = record.labels;
  } else {
    const plain = await loadTrainedModel(modelDir);
    model = plain.model;
    task = plain.task;
    labels = task === "regression" ? [] : plain.model.labels;
  }
  let dataset: Dataset;
  let split: string;
  if (o.rows !== undefined) {
    dataset = await o.rows(config, labels, task);
    split = "input";
  } else {
    split = stringFlag(ctx, "split", SPLITS) ?? o.defaultSplit;
    const maxRows = intFlag(ctx, "max-rows");
    const data =
      maxRows === undefined
        ? config.data
        : { ...config.data, maxRows: { ...config.data.maxRows, [split]: maxRows } };
    const { splits } = await loadDataSpec(data);
    dataset = requireSplit(
      splits,
      split as (typeof SPLITS)[number],
      ctx.flags.split === undefined ? `the default split` : "--split",
    );
    if (task !== "regression" && splits.labelNames.join("\n") !== labels.join("\n")) {
      throw new TunekitError(
        "DATA_INVALID",
        `the model's labels [${labels.join(", ")}] differ from the data set's [${splits.labelNames.join(", ")}]; ` +
          "evaluate with the data set config the model was trained with",
      );
    }
    if (o.needLabels && dataset.labels === undefined) {
      throw new TunekitError(
        "DATA_INVALID",
        `split "${split}" of "${splits.name}" has no labels, so there is nothing to score; pick a labelled split with --split`,
      );
    }
  }
  const tokenizer = await tokenizerFor(modelDir, config.tokenizer);
  const maxLength = config.training.maxLength;
  const data = tokenizeSplit(dataset, tokenizer, maxLength);
  const backend: Backend = await createBackend(config.backend, (line) => ctx.io.stderr(`${line}\n`));
  const trainer = new Trainer({
    model,
    backend,
    batchSize: config.training.evalBatchSize ?? config.training.batchSize,
    epochs: 1,
    padding: paddingBuckets(maxLength),
    bucketing: { windowBatches: 50 },
  });
  return {
    config,
    modelDir,
    task,
    labels,
    split,
    dataset,
    data,
    trainer,
    dispose: async () => {
      await trainer.dispose();
      backend.dispose();
    },
  };
}
