import { type CausalLm, type Tokenizer, type TrainerData, TunekitError } from "@tunekit/core";
import type { MultiTaskModel, ResolvedTaskHead } from "@tunekit/core/models";
import { MACRO_METRIC, type TaskMixture } from "@tunekit/core/trainer";
import type { CliTask, TrainConfig } from "../config/train-config.js";
import { prepareCausalLmRun } from "./causal-lm-run.js";
import { buildMultiTaskModel, prepareMixture } from "./mixture-setup.js";
import { type BertHead, buildModel } from "./model-setup.js";
import { prepareData } from "./training-data.js";
import { checkTokenIds } from "./vocabulary.js";

/**
 * What `tunekit train` trains on, for one data set or a `tasks` mixture: the Trainer's
 * training data, what to evaluate, the base model, and the lines that describe them.
 *
 * @example
 * ```ts
 * const run = await prepareRunData(config, tokenizer);
 * await trainer.fit(run.train, run.fitOptions);
 * ```
 */
export interface RunData {
  readonly train: TrainerData | TaskMixture;
  /** `fit`'s options for evaluation (single data set: `evalData`). */
  readonly fitOptions: { readonly evalData?: TrainerData };
  /** What the final evaluation scores (undefined: nothing to evaluate on). */
  readonly evalTarget: TrainerData | TaskMixture | undefined;
  readonly base: BertHead | MultiTaskModel | CausalLm;
  readonly random: boolean;
  readonly notice: string;
  /** The task of the data set (a mixture: the first task's). */
  readonly task: CliTask;
  readonly labels: readonly string[];
  /** The heads of a multi-task model. */
  readonly heads: readonly ResolvedTaskHead[] | undefined;
  /** The metric that picks the best checkpoint unless the config sets one. */
  readonly defaultMetric: string;
  /** Lines describing the data (one per task for a mixture). */
  readonly lines: readonly string[];
  /** Where the evaluation rows come from, for the final table's title. */
  readonly evalTitle: string;
}

/**
 * The CLI task of a head kind.
 *
 * @example
 * ```ts
 * cliTask("classification"); // "sequence-classification"
 * ```
 */
export function cliTask(kind: ResolvedTaskHead["kind"]): CliTask {
  return kind === "classification" ? "sequence-classification" : kind;
}

/**
 * Loads and tokenizes the config's data (or every task of its mixture, or a decoder's causal-LM
 * JSONL) and builds (or loads) the base model for it; throws `DATA_INVALID` when there is
 * nothing labelled to train on.
 *
 * @example
 * ```ts
 * const run = await prepareRunData(config, await loadTokenizer(config.tokenizer));
 * ```
 */
export async function prepareRunData(config: TrainConfig, tokenizer: Tokenizer): Promise<RunData> {
  const t = config.training;
  const sizes = {
    vocabSize: tokenizer.vocabSize,
    padId: tokenizer.padId,
    maxLength: t.maxLength,
    seed: t.seed,
  };
  if (config.task === "causal-lm") {
    const run = await prepareCausalLmRun(config, tokenizer);
    return {
      train: run.train,
      fitOptions: run.evalData === undefined ? {} : { evalData: run.evalData },
      evalTarget: run.evalData,
      base: run.model,
      random: false,
      notice: run.notice,
      task: "causal-lm",
      labels: [],
      heads: undefined,
      defaultMetric: "loss",
      lines: run.lines,
      evalTitle: `${config.data.evalSplit} (loss per supervised token)`,
    };
  }
  if (config.mixture !== undefined) {
    const { mixture, heads, lines } = await prepareMixture(config.mixture, tokenizer, t.maxLength);
    const built = await buildMultiTaskModel(config.model, heads, sizes);
    for (const x of mixture.tasks) {
      checkTokenIds(built.model, x.train.ids, tokenizer, `task ${x.name}: train split`);
      if (x.eval !== undefined)
        checkTokenIds(built.model, x.eval.ids, tokenizer, `task ${x.name}: evaluation split`);
    }
    const hasEval = mixture.tasks.some((x) => x.eval !== undefined);
    return {
      train: mixture,
      fitOptions: {},
      evalTarget: hasEval ? mixture : undefined,
      base: built.model,
      random: built.random,
      notice: built.notice,
      task: cliTask(built.model.tasks[0]!.kind),
      labels: built.model.tasks[0]!.labels,
      heads: built.model.tasks,
      defaultMetric: MACRO_METRIC,
      lines: [
        `mixture of ${mixture.tasks.length} tasks, ${config.mixture.batching ?? "per-task"} batches, sampling ${JSON.stringify(config.mixture.sampling ?? { strategy: "temperature", temperature: 10 })}`,
        ...lines,
      ],
      evalTitle: "evaluation (every task)",
    };
  }
  const prepared = await prepareData(config.data, config.task, tokenizer, t.maxLength, [
    "train",
    config.data.evalSplit,
  ]);
  const { task, labelNames } = prepared;
  const trainSplit = prepared.splits.train;
  if (trainSplit === undefined || !trainSplit.labelled) {
    throw new TunekitError(
      "DATA_INVALID",
      `training needs a labelled train split; data set "${prepared.name}" has none`,
    );
  }
  const train = trainSplit.data;
  const evalSplit = prepared.splits[config.data.evalSplit];
  const evalData = evalSplit?.labelled ? evalSplit.data : undefined;
  const built = await buildModel(config.model, { task, labels: labelNames, ...sizes });
  checkTokenIds(built.model, train.ids, tokenizer, "train split");
  if (evalData !== undefined)
    checkTokenIds(built.model, evalData.ids, tokenizer, `${config.data.evalSplit} split`);
  return {
    train,
    fitOptions: evalData === undefined ? {} : { evalData },
    evalTarget: evalData,
    base: built.model,
    random: built.random,
    notice: built.notice,
    task,
    labels: labelNames,
    heads: undefined,
    defaultMetric: task === "regression" ? "pearson" : "accuracy",
    lines: [
      `data ${prepared.name}: train ${train.lengths.length} rows${evalData ? `, ${config.data.evalSplit} ${evalData.lengths.length} rows` : ""}; ` +
        `task ${task}${task === "regression" ? "" : ` (${labelNames.join(", ")})`}; ${train.numTruncated} train rows truncated to ${t.maxLength} tokens`,
    ],
    evalTitle: config.data.evalSplit,
  };
}
