import type { ResolvedTaskHead } from "@tunekit/core/models";
import { type CommandContext, stringFlag, UsageError } from "../command.js";
import type { CliTask, DataSpec, TrainConfig } from "../config/train-config.js";
import { cliTask } from "./run-data.js";

/**
 * The task `--task` picks from a multi-task model: its name, CLI task, labels and the data
 * set the run's config gives it.
 *
 * @example
 * ```ts
 * const picked: SelectedTask = { name: "rte", task: "sequence-classification", labels: ["entailment", "not_entailment"], data };
 * ```
 */
export interface SelectedTask {
  readonly name: string;
  readonly task: CliTask;
  readonly labels: readonly string[];
  readonly data: DataSpec;
}

/**
 * Resolves `--task` against a model's heads: required (and checked) for a multi-task model,
 * refused for a one-head model. Returns undefined for a one-head model.
 *
 * @example
 * ```ts
 * const picked = selectTask(ctx, model.tasks, config, "evaluate");
 * ```
 */
export function selectTask(
  ctx: CommandContext,
  heads: readonly ResolvedTaskHead[] | undefined,
  config: TrainConfig,
  command: string,
): SelectedTask | undefined {
  const name = stringFlag(ctx, "task");
  if (heads === undefined) {
    if (name !== undefined) {
      throw new UsageError(
        `--task applies to multi-task models; this model has one head (leave --task out)`,
        command,
      );
    }
    return undefined;
  }
  const names = heads.map((h) => h.name).join(", ");
  if (name === undefined) {
    throw new UsageError(`this is a multi-task model with tasks ${names}: pass --task NAME`, command);
  }
  const head = heads.find((h) => h.name === name);
  if (head === undefined) throw new UsageError(`--task ${name}: the model's tasks are ${names}`, command);
  const data = config.mixture?.tasks.find((t) => t.name === name)?.data ?? config.data;
  return {
    name,
    task: cliTask(head.kind),
    labels: head.kind === "regression" ? [] : head.labels,
    data,
  };
}
