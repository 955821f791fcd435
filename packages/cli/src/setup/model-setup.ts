import {
  type BertForSequenceClassification,
  type BertForTokenClassification,
  createBertForTask,
  loadBertCheckpoint,
  TunekitError,
} from "@tunekit/core";
import { type BertConfig, readBertConfig } from "@tunekit/core/models";
import { decoderRunError } from "../config/causal-lm-config.js";
import type { CliTask, ModelSpec } from "../config/train-config.js";
import { bertBase } from "./bert-base.js";

/**
 * A model built for training, and what the CLI should tell the user about it.
 *
 * @example
 * ```ts
 * const { model, notice } = await buildModel(spec, { task: "sequence-classification", labels: ["neg", "pos"], vocabSize: 30522, padId: 0, maxLength: 64 });
 * ```
 */
export interface BuiltModel {
  readonly model: BertHead;
  readonly config: BertConfig;
  /** One line for the user: random initialisation, or what was loaded / freshly initialised. */
  readonly notice: string;
  readonly random: boolean;
}

/**
 * Builds a sequence-classification (or regression: one output, or token-classification) BERT: loads a Hugging Face
 * folder, or initialises a random BERT sized by the spec with the tokenizer's vocabulary.
 * The classifier's labels are the data set's; a checkpoint head trained on other labels
 * is replaced by a fresh one.
 *
 * @example
 * ```ts
 * const built = await buildModel({ kind: "random", layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 128, seed: 0 },
 *   { task: "regression", labels: [], vocabSize: 30522, padId: 0, maxLength: 64 });
 * ```
 */
export async function buildModel(
  spec: ModelSpec,
  o: {
    readonly task: CliTask;
    readonly labels: readonly string[];
    readonly vocabSize: number;
    readonly padId: number;
    readonly maxLength: number;
    readonly seed?: number;
  },
): Promise<BuiltModel> {
  if (o.task === "causal-lm") throw decoderRunError("the config");
  const labels = o.task === "regression" ? ["score"] : o.labels;
  if (labels.length < 1 || (o.task !== "regression" && labels.length < 2)) {
    throw new TunekitError(
      "DATA_INVALID",
      `the data set has ${labels.length} label(s): [${labels.join(", ")}]; classification needs at least 2 (set "labels" in the data set config, or use task "regression")`,
    );
  }
  const labelJson = {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    ...(o.task === "regression"
      ? { problem_type: "regression" }
      : o.task === "sequence-classification"
        ? { problem_type: "single_label_classification" }
        : {}),
  };
  const head =
    o.task === "token-classification"
      ? ("token-classification" as const)
      : ("sequence-classification" as const);
  const base = await bertBase(spec, o, labelJson, ["num_labels"]);
  const model: BertHead = createBertForTask(base.config, {
    task: head,
    seed: spec.kind === "random" ? spec.seed : (o.seed ?? 0),
  });
  if (base.load === undefined) return { model, config: base.config, random: true, notice: base.notice };
  const p = base.pretrained!;
  const sameHead = p.id2label.length === labels.length && p.id2label.every((l, i) => l === labels[i]);
  const { notice } = await base.load(model, { reinitializeHead: !sameHead });
  return { model, config: base.config, random: false, notice };
}

/**
 * Loads a model written by `tunekit train` (a Hugging Face folder) and says which task it
 * was trained for (`problem_type: "regression"` or one label: regression).
 *
 * @example
 * ```ts
 * const { model, task } = await loadTrainedModel("runs/sst2-tiny/model");
 * ```
 */
export async function loadTrainedModel(folder: string): Promise<{
  readonly model: BertHead;
  readonly task: CliTask;
  readonly config: BertConfig;
}> {
  const probe = await readBertConfig(folder);
  const architectures = probe.extra.architectures;
  if (Array.isArray(architectures) && String(architectures[0]).endsWith("ForTokenClassification")) {
    const { model, config } = await loadBertCheckpoint(folder, { task: "token-classification" });
    return { model, task: "token-classification", config };
  }
  const { model, config } = await loadBertCheckpoint(folder, { task: "sequence-classification" });
  const task: CliTask =
    config.problemType === "regression" || config.numLabels === 1 ? "regression" : "sequence-classification";
  return { model, task, config };
}

/**
 * The BERT heads the CLI trains.
 *
 * @example
 * ```ts
 * const head: BertHead = createBertForTask(config, { task: "token-classification" });
 * ```
 */
export type BertHead = BertForSequenceClassification | BertForTokenClassification;
