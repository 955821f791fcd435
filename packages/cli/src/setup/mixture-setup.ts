import { type Tokenizer, TunekitError } from "@tunekit/core";
import { type BertConfig, MultiTaskModel, type TaskHeadSpec } from "@tunekit/core/models";
import type { TaskMixture } from "@tunekit/core/trainer";
import type { MixtureSpec } from "../config/tasks-config.js";
import type { CliTask, ModelSpec } from "../config/train-config.js";
import { bertBase } from "./bert-base.js";
import { prepareData } from "./training-data.js";

/**
 * The head kind of a CLI task.
 *
 * @example
 * ```ts
 * headKind("sequence-classification"); // "classification"
 * ```
 */
export function headKind(task: Exclude<CliTask, "causal-lm">): TaskHeadSpec["kind"] {
  return task === "sequence-classification" ? "classification" : task;
}

/**
 * A config's task mixture, tokenized: the Trainer's {@link TaskMixture}, the model's heads
 * (labels from each data set), and one summary line per task.
 *
 * @example
 * ```ts
 * const { mixture, heads, lines } = await prepareMixture(config.mixture!, tokenizer, 128, "validation");
 * ```
 */
export async function prepareMixture(
  spec: MixtureSpec,
  tokenizer: Tokenizer,
  maxLength: number,
): Promise<{ mixture: TaskMixture; heads: TaskHeadSpec[]; lines: string[] }> {
  const heads: TaskHeadSpec[] = [];
  const lines: string[] = [];
  const tasks: TaskMixture["tasks"][number][] = [];
  for (const t of spec.tasks) {
    const evalSplit = t.data.evalSplit;
    const prepared = await prepareData(t.data, t.task, tokenizer, maxLength, ["train", evalSplit]);
    const train = prepared.splits.train;
    if (train === undefined || !train.labelled) {
      throw new TunekitError(
        "DATA_INVALID",
        `task "${t.name}": training needs a labelled train split; data set "${prepared.name}" has none`,
      );
    }
    const evalPart = prepared.splits[evalSplit];
    const evalData = evalPart?.labelled ? evalPart.data : undefined;
    heads.push({
      name: t.name,
      kind: headKind(prepared.task),
      ...(prepared.task === "regression" ? {} : { labels: prepared.labelNames }),
      ...(t.lossWeight === undefined ? {} : { lossWeight: t.lossWeight }),
    });
    tasks.push({
      name: t.name,
      train: train.data,
      ...(evalData === undefined ? {} : { eval: evalData }),
      ...(t.metric === undefined ? {} : { metric: t.metric }),
    });
    lines.push(
      `task ${t.name}: data ${prepared.name}, train ${train.data.lengths.length} rows` +
        `${evalData ? `, ${evalSplit} ${evalData.lengths.length} rows` : ", no evaluation rows"}; ` +
        `${prepared.task}${prepared.task === "regression" ? "" : ` (${prepared.labelNames.join(", ")})`}`,
    );
  }
  const mixture: TaskMixture = {
    tasks,
    ...(spec.sampling === undefined ? {} : { sampling: spec.sampling }),
    ...(spec.batching === undefined ? {} : { batching: spec.batching }),
  };
  return { mixture, heads, lines };
}

/**
 * The heads of a mixture's tasks (kind and labels), reading one row of each data set: for
 * `tunekit info`, which needs the model but not the data.
 *
 * @example
 * ```ts
 * const heads = await mixtureHeads(config.mixture!, tokenizer);
 * ```
 */
export async function mixtureHeads(spec: MixtureSpec, tokenizer: Tokenizer): Promise<TaskHeadSpec[]> {
  const heads: TaskHeadSpec[] = [];
  for (const t of spec.tasks) {
    const one = { ...t.data, maxRows: { train: 1, validation: 1, test: 1 } };
    const prepared = await prepareData(one, t.task, tokenizer, 8, ["train"]);
    heads.push({
      name: t.name,
      kind: headKind(prepared.task),
      ...(prepared.task === "regression" ? {} : { labels: prepared.labelNames }),
    });
  }
  return heads;
}

/**
 * A {@link MultiTaskModel} for `heads`: random (a `model.random` spec) or with the encoder of a
 * pre-trained folder (every head starts fresh; reported in `notice`).
 *
 * @example
 * ```ts
 * const built = await buildMultiTaskModel(config.model, heads, { vocabSize, padId, maxLength, seed: 42 });
 * ```
 */
export async function buildMultiTaskModel(
  spec: ModelSpec,
  heads: readonly TaskHeadSpec[],
  o: {
    readonly vocabSize: number;
    readonly padId: number;
    readonly maxLength: number;
    readonly seed: number;
  },
): Promise<{ model: MultiTaskModel; config: BertConfig; notice: string; random: boolean }> {
  const base = await bertBase(spec, o, {}, [
    "id2label",
    "label2id",
    "num_labels",
    "problem_type",
    "architectures",
    "task_heads",
  ]);
  const model = new MultiTaskModel(base.config, heads, { seed: spec.kind === "random" ? spec.seed : o.seed });
  if (base.load === undefined) {
    return { model, config: base.config, random: true, notice: `${base.notice}; ${heads.length} task heads` };
  }
  const { report } = await base.load(model, { reinitializeHead: true });
  return {
    model,
    config: base.config,
    random: false,
    notice: `loaded ${report.loaded.length} tensors from ${base.source}; fresh task heads: ${heads.map((h) => h.name).join(", ")}`,
  };
}
