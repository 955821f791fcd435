import { type Backend, Trainer, type TrainerData, type TrainerModel, TunekitError } from "@tunekit/core";
import { isMultiTaskConfig, loadMultiTaskCheckpoint, readBertConfig } from "@tunekit/core/models";
import { resolve } from "node:path";
import type { CommandContext } from "../command.js";
import { intFlag, stringFlag, UsageError } from "../command.js";
import type { CliTask, TrainConfig } from "../config/train-config.js";
import { createBackend } from "./backend-setup.js";
import { hubFolder } from "./hub-model.js";
import { prepareFolderRun } from "./folder-run.js";
import type { InputModel } from "./input-split.js";
import { isModelFolder } from "./model-folder.js";
import { loadTrainedModel } from "./model-setup.js";
import { paddingBuckets, tokenizerFor } from "./pipeline.js";
import { resolveRun } from "./run-files.js";
import { cliTask } from "./run-data.js";
import { selectTask } from "./task-select.js";
import { loadAdaptedModel } from "./trained-model.js";
import { type PreparedSplit, prepareData, type SplitName } from "./training-data.js";
import { checkTokenIds } from "./vocabulary.js";

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
  /** The run's config (undefined for a model folder given without one). */
  readonly config: TrainConfig | undefined;
  readonly modelDir: string;
  readonly task: CliTask;
  readonly labels: readonly string[];
  /** The head `--task` picked (multi-task models). */
  readonly taskName: string | undefined;
  readonly split: string;
  readonly prepared: PreparedSplit;
  readonly data: TrainerData;
  readonly trainer: Trainer;
  dispose(): Promise<void>;
}

/** The splits `--split` accepts. */
export const SPLITS = ["train", "validation", "test"] as const;

/**
 * Loads the run / config named by the first argument, its model (`--model` overrides), the
 * split (`--split`, default `defaultSplit`, limited by `--max-rows`) or `rows` given by the
 * caller, and a Trainer for it. A plain model folder (a `config.json`, no run record) needs no
 * config: see {@link prepareFolderRun}.
 *
 * @example
 * ```ts
 * const run = await prepareTrainedRun(ctx, { defaultSplit: "test", needLabels: false });
 * ```
 */
export async function prepareTrainedRun(
  ctx: CommandContext,
  o: {
    /** The command's name, for usage errors. */
    readonly command: string;
    readonly defaultSplit: (typeof SPLITS)[number];
    readonly needLabels: boolean;
    /** Rows from elsewhere than the config's data (e.g. `predict --input`). */
    readonly rows?: ((m: InputModel) => Promise<PreparedSplit>) | undefined;
  },
): Promise<TrainedRun> {
  // a Hub model name (name, org/name[@revision]) that names no local path: its snapshot folder
  const hub = await hubFolder(ctx.positionals[0]!, ctx.io.cwd, ctx.io, true);
  const target = hub ?? resolve(ctx.io.cwd, ctx.positionals[0]!);
  if (await isModelFolder(target)) return prepareFolderRun(ctx, target, o.rows, o.command);
  for (const flag of ["adapter", "labels", "tokenizer", "max-length", "batch-size", "backend"]) {
    if (ctx.flags[flag] !== undefined) {
      throw new UsageError(
        `--${flag} applies to a model folder (config.json + weights); ${ctx.positionals[0]} is a run or config, which sets it already`,
        o.command,
      );
    }
  }
  const modelFlag = stringFlag(ctx, "model");
  const { config, modelDir, record } = await resolveRun(ctx.positionals[0]!, ctx.io.cwd, modelFlag);
  let model: TrainerModel;
  let task: CliTask;
  let labels: readonly string[];
  if (record?.model === "adapted" && modelFlag === undefined) {
    ({ model } = await loadAdaptedModel(config, modelDir, record));
    task = record.task;
    labels = record.labels;
  } else if (isMultiTaskConfig(await readBertConfig(modelDir))) {
    ({ model } = await loadMultiTaskCheckpoint(modelDir));
    task = cliTask(model.tasks![0]!.kind);
    labels = model.tasks![0]!.labels;
  } else {
    const plain = await loadTrainedModel(modelDir);
    model = plain.model;
    task = plain.task;
    labels = task === "regression" ? [] : plain.model.labels;
  }
  const picked = selectTask(ctx, model.tasks, config, o.command);
  if (picked !== undefined) ({ task, labels } = picked);
  const dataSpec = picked?.data ?? config.data;
  const tokenizer = await tokenizerFor(modelDir, config.tokenizer);
  const maxLength = config.training.maxLength;
  let prepared: PreparedSplit;
  if (o.rows !== undefined) {
    prepared = await o.rows({ tokenizer, maxLength, labels, task });
  } else {
    const name = (stringFlag(ctx, "split", SPLITS) ?? o.defaultSplit) as SplitName;
    const maxRows = intFlag(ctx, "max-rows");
    const spec =
      maxRows === undefined ? dataSpec : { ...dataSpec, maxRows: { ...dataSpec.maxRows, [name]: maxRows } };
    const data = await prepareData(
      spec,
      task === "token-classification" || picked !== undefined ? task : config.task,
      tokenizer,
      maxLength,
      [name],
    );
    const found = data.splits[name];
    if (found === undefined) {
      throw new TunekitError(
        "DATA_INVALID",
        `data set "${data.name}" has no "${name}" split${ctx.flags.split === undefined ? " (the default)" : ""}; pick another with --split`,
      );
    }
    if (task !== "regression" && data.labelNames.join("\n") !== labels.join("\n")) {
      throw new TunekitError(
        "DATA_INVALID",
        `the model's labels [${labels.join(", ")}] differ from the data set's [${data.labelNames.join(", ")}]; ` +
          "use the data set config the model was trained with",
      );
    }
    if (o.needLabels && !found.labelled) {
      throw new TunekitError(
        "DATA_INVALID",
        `split "${name}" of "${data.name}" has no labels, so there is nothing to score; pick a labelled split with --split`,
      );
    }
    prepared = found;
  }
  checkTokenIds(
    model,
    prepared.data.ids,
    tokenizer,
    o.rows === undefined ? `${prepared.name} split` : "input",
  );
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
    taskName: picked?.name,
    split: o.rows === undefined || ctx.flags.split !== undefined ? prepared.name : "input",
    prepared,
    data: prepared.data,
    trainer,
    dispose: async () => {
      await trainer.dispose();
      backend.dispose();
    },
  };
}
