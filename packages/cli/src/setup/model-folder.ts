import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  loadBertCheckpoint,
  loadTokenizer,
  type Tokenizer,
  type TrainerModel,
  TunekitError,
} from "@tunekit/core";
import { readBertConfig } from "@tunekit/core/models";
import { loadAdapterFolder } from "@tunekit/strategies";
import type { CliTask } from "../config/train-config.js";
import { RUN_FILE } from "./run-files.js";

/**
 * A Hugging Face model folder loaded for `evaluate` / `predict` without a training config:
 * the model (with `--adapter` applied), its task and label names, its tokenizer and the
 * longest input it takes.
 *
 * @example
 * ```ts
 * const m = await loadModelFolder("models/bert-sst2", { adapter: "runs/x/adapter" });
 * m.labels; // ["negative", "positive"]
 * ```
 */
export interface ModelFolder {
  readonly dir: string;
  readonly model: TrainerModel;
  readonly task: Exclude<CliTask, "causal-lm">;
  readonly labels: readonly string[];
  readonly tokenizer: Tokenizer;
  readonly maxLength: number;
  /** Lines for stderr (a fresh classifier, where the labels come from). */
  readonly notes: readonly string[];
}

/**
 * Whether `path` is a model folder (a `config.json`) that is not a `tunekit train` run folder.
 *
 * @example
 * ```ts
 * await isModelFolder("models/bert-sst2"); // true
 * ```
 */
export async function isModelFolder(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() !== true) return false;
  if ((await stat(join(path, RUN_FILE)).catch(() => undefined)) !== undefined) return false;
  return (await stat(join(path, "config.json")).catch(() => undefined)) !== undefined;
}

/**
 * The labels a `tunekit train` run recorded beside an adapter folder (`runs/x/adapter` →
 * `runs/x/tunekit-run.json`), if any.
 */
async function runLabelsOf(adapterDir: string): Promise<readonly string[] | undefined> {
  const text = await readFile(join(dirname(adapterDir), RUN_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const labels = (JSON.parse(text) as { labels?: unknown }).labels;
    return Array.isArray(labels) && labels.length > 0 && labels.every((l) => typeof l === "string")
      ? (labels as string[])
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads a BERT classification / regression / token classification folder (`config.json` +
 * `model.safetensors` or `pytorch_model.bin`), optionally with an adapter folder tunekit
 * writes or loads (PEFT LoRA / IA3 / prefix / prompt, `tunekit-bottleneck`). Label names come
 * from `labels`, else the run record beside the adapter, else `config.json`'s `id2label`. The
 * tokenizer is the folder's (`tokenizer.json` or `vocab.txt`) unless `tokenizer` is given.
 *
 * @example
 * ```ts
 * const m = await loadModelFolder("models/bert-base", { adapter: "runs/x/adapter", labels: ["neg", "pos"] });
 * ```
 */
export async function loadModelFolder(
  dir: string,
  o: {
    readonly adapter?: string | undefined;
    readonly labels?: readonly string[] | undefined;
    readonly tokenizer?: string | undefined;
    readonly maxLength?: number | undefined;
  } = {},
): Promise<ModelFolder> {
  const config = await readBertConfig(dir);
  const notes: string[] = [];
  const architectures = config.extra.architectures;
  const tokenTask = Array.isArray(architectures) && architectures[0] === "BertForTokenClassification";
  const fromRun = o.adapter === undefined ? undefined : await runLabelsOf(o.adapter);
  let labels = o.labels ?? fromRun;
  const regression = labels === undefined && (config.problemType === "regression" || config.numLabels === 1);
  const task: ModelFolder["task"] = tokenTask
    ? "token-classification"
    : regression
      ? "regression"
      : "sequence-classification";
  if (labels !== undefined && labels.length < 2) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `--labels names ${labels.length} label; classification needs at least 2 (leave --labels out for a regression model)`,
    );
  }
  labels ??= regression ? [] : config.id2label;
  if (o.labels !== undefined) notes.push(`labels from --labels: ${labels.join(", ")}`);
  else if (fromRun !== undefined)
    notes.push(`labels from ${join(dirname(o.adapter!), RUN_FILE)}: ${labels.join(", ")}`);
  const numLabels = regression ? 1 : labels.length;
  const loaded = await loadBertCheckpoint(dir, {
    task: tokenTask ? "token-classification" : "sequence-classification",
    numLabels,
    // a head for other labels than config.json's is replaced (an adapter may bring its own)
    reinitializeHead: !regression && labels.join("\n") !== config.id2label.join("\n"),
  });
  let model: TrainerModel = loaded.model;
  const fresh = loaded.report.initialized.filter((n) => n.startsWith("classifier"));
  if (o.adapter !== undefined) model = (await loadAdapterFolder(loaded.model, o.adapter)) as TrainerModel;
  if (fresh.length > 0) {
    notes.push(
      o.adapter === undefined
        ? `warning: ${dir} has no trained classifier for these labels (${fresh.join(", ")} freshly initialised): predictions are random; pass --adapter, or a fine-tuned folder`
        : `note: ${dir} has no classifier for these labels; it comes from the adapter when the adapter saved it (modules_to_save), else it stays freshly initialised`,
    );
  }
  const tokenizer = await folderTokenizer(dir, o.tokenizer);
  const limit = Math.min(config.maxPositionEmbeddings, tokenizer.modelMaxLength ?? Number.POSITIVE_INFINITY);
  if (o.maxLength !== undefined && o.maxLength > config.maxPositionEmbeddings) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `--max-length ${o.maxLength} exceeds the model's max_position_embeddings ${config.maxPositionEmbeddings}; pass at most ${config.maxPositionEmbeddings}`,
    );
  }
  return { dir, model, task, labels, tokenizer, maxLength: o.maxLength ?? Math.min(limit, 512), notes };
}

async function folderTokenizer(dir: string, flag: string | undefined): Promise<Tokenizer> {
  if (flag !== undefined) return loadTokenizer(flag);
  for (const file of ["tokenizer.json", "vocab.txt"]) {
    if ((await stat(join(dir, file)).catch(() => undefined)) !== undefined) return loadTokenizer(dir);
  }
  throw new TunekitError(
    "IO_ERROR",
    `${dir} has no tokenizer.json or vocab.txt; pass the tokenizer folder with --tokenizer DIR`,
  );
}
