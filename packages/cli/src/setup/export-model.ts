import { stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  type Backend,
  type ForwardContext,
  type HostTensor,
  loadBertCheckpoint,
  type Tensor,
  TunekitError,
} from "@tunekit/core";
import { Graph } from "@tunekit/core/ir";
import { type AnyBertModel, type BertInputs, EVAL_CONTEXT } from "@tunekit/core/models";
import { checkMerge, mergeAndUnload } from "@tunekit/strategies";
import type { BackendSpec, TrainConfig } from "../config/train-config.js";
import { MERGEABLE_METHODS } from "./adapted-run.js";
import { type ExportTask, readConfigJson } from "./export-files.js";
import { loadTrainedModel } from "./model-setup.js";
import { MODEL_DIR, RUN_FILE, resolveRun } from "./run-files.js";
import { loadAdaptedModel } from "./trained-model.js";

/**
 * A model with a BERT-shaped inference forward: heads return `logits`, bare encoders
 * `lastHiddenState`. Every encoder tunekit builds (and any strategy's wrapper of one) has it.
 *
 * @example
 * ```ts
 * const m: ForwardModel = new BertForSequenceClassification(config);
 * ```
 */
export interface ForwardModel {
  forward(inputs: BertInputs, ctx: ForwardContext): { logits?: Tensor; lastHiddenState?: Tensor };
}

/**
 * A model ready to export: the model, what it does, its labels, the `config.json` it came
 * with, where its tokenizer is, and how an adapter was handled.
 *
 * @example
 * ```ts
 * const m = await loadModelForExport("runs/sst2-lora", process.cwd(), probe);
 * m.adapter; // { method: "lora", merged: true, layers: 12, maxAbsDifference: 2e-7 }
 * ```
 */
export interface ModelToExport {
  readonly model: ForwardModel;
  readonly task: ExportTask;
  readonly labels: readonly string[];
  readonly sourceConfig: Readonly<Record<string, unknown>>;
  readonly modelDir: string;
  /** Folder (or file) of the tokenizer: the model folder when it has one, else the run's. */
  readonly tokenizerFrom: string;
  /** The most tokens the model takes (its position table; RoBERTa's starts after the padding index). */
  readonly maxSequenceLength: number | undefined;
  /** The run's config, when the model comes from a run of `tunekit train` (for `--eval-data`). */
  readonly runConfig?: TrainConfig;
  readonly adapter?: {
    readonly method: string;
    /** Folded into the base weights (LoRA family, IA3), else exported as the adapter's own ops. */
    readonly merged: boolean;
    readonly layers: number;
    readonly maxAbsDifference: number;
  };
}

/**
 * `trace(batch, seq)` for `exportOnnx`: the inference forward of `model` on Hugging Face-named
 * int32 inputs `[batch, seq]` (`input_ids`, `attention_mask`, `token_type_ids`; an input the
 * model does not read is dropped by the export), with output `logits`, or `last_hidden_state`
 * for a bare encoder.
 *
 * @example
 * ```ts
 * const out = exportOnnx(inferenceTrace(model));
 * ```
 */
export function inferenceTrace(model: ForwardModel): (batch: number, seq: number) => Graph {
  return (batch, seq) => {
    const g = new Graph();
    const inputs: BertInputs = {
      inputIds: g.input("input_ids", "int32", [batch, seq]),
      attentionMask: g.input("attention_mask", "int32", [batch, seq]),
      tokenTypeIds: g.input("token_type_ids", "int32", [batch, seq]),
    };
    const out = model.forward(inputs, EVAL_CONTEXT);
    if (out.logits !== undefined) g.output("logits", out.logits);
    else if (out.lastHiddenState !== undefined) g.output("last_hidden_state", out.lastHiddenState);
    else {
      throw new TunekitError(
        "NOT_IMPLEMENTED",
        "export: the model's forward returns neither logits nor lastHiddenState; export needs a classification head or a bare encoder",
      );
    }
    return g;
  };
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** The run folder `target` names (a run, its `model/`, or its config file), if any. */
async function runTarget(path: string): Promise<string | undefined> {
  if ((await stat(path)).isFile()) return path;
  if (await exists(join(path, RUN_FILE))) return path;
  if (basename(path) === MODEL_DIR && (await exists(join(dirname(path), RUN_FILE)))) return dirname(path);
  return undefined;
}

/** Usable positions of a config: `max_position_embeddings`, less `pad_token_id + 1` for RoBERTa's numbering. */
function maxTokens(config: Readonly<Record<string, unknown>>): number | undefined {
  const max = config.max_position_embeddings;
  if (typeof max !== "number") return undefined;
  const roberta = config.model_type === "roberta" || config.model_type === "xlm-roberta";
  const pad = typeof config.pad_token_id === "number" ? config.pad_token_id : 1;
  return roberta ? max - pad - 1 : max;
}

/** Task of a plain Hugging Face folder from its `architectures` (a bare encoder for anything but a head). */
function folderTask(config: Readonly<Record<string, unknown>>): ExportTask {
  const arch = Array.isArray(config.architectures) ? String(config.architectures[0]) : "";
  if (arch.endsWith("ForTokenClassification")) return "token-classification";
  if (arch.endsWith("ForSequenceClassification")) {
    return config.problem_type === "regression" || config.num_labels === 1
      ? "regression"
      : "sequence-classification";
  }
  return "feature-extraction";
}

/**
 * Loads what `tunekit export` exports from `target`: a run folder of `tunekit train` (or its
 * `model/` folder, or its config file) or a plain Hugging Face folder (a merged model, a
 * downloaded one; its `architectures` say which head: a bare encoder otherwise). A run's
 * LoRA / DoRA / IA3 adapter is folded into the base weights (`probe` checks the fold on
 * `backend`); other adapters (bottleneck, prefix, prompt) are kept and exported as the ops of
 * the adapted forward.
 *
 * @example
 * ```ts
 * const m = await loadModelForExport("runs/sst2-lora", process.cwd(), { backend, probe });
 * ```
 */
export async function loadModelForExport(
  target: string,
  cwd: string,
  check: {
    /** Tokenizer folder for a plain model folder without one. */
    readonly tokenizer?: string | undefined;
    readonly backend: (spec: BackendSpec) => Promise<Backend>;
    readonly probe: (tokenizerFrom: string, maxTokens?: number) => Promise<Record<string, HostTensor>>;
  },
): Promise<ModelToExport> {
  const path = resolve(cwd, target);
  if (!(await exists(path))) {
    throw new TunekitError(
      "IO_ERROR",
      `${target} does not exist; pass a run folder of tunekit train or a Hugging Face model folder (config.json + model.safetensors)`,
    );
  }
  const run = await runTarget(path);
  if (run === undefined) {
    const sourceConfig = await readConfigJson(path);
    const task = folderTask(sourceConfig);
    const bertTask =
      task === "feature-extraction" ? "base" : task === "regression" ? "sequence-classification" : task;
    const { model } = await loadBertCheckpoint(path, { task: bertTask });
    const labels =
      task === "sequence-classification" || task === "token-classification"
        ? [...((model as { labels?: readonly string[] }).labels ?? [])]
        : [];
    return {
      model: model as ForwardModel,
      task,
      labels,
      sourceConfig,
      modelDir: path,
      tokenizerFrom: check.tokenizer === undefined ? path : resolve(cwd, check.tokenizer),
      maxSequenceLength: maxTokens(sourceConfig),
    };
  }
  const { config, modelDir, record } = await resolveRun(run, cwd, undefined);
  if (record === undefined) {
    throw new TunekitError(
      "IO_ERROR",
      `${target}: no ${RUN_FILE} in ${config.output}, so the model was not trained yet; run tunekit train on the config first`,
    );
  }
  if (record.tasks !== undefined) {
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `${target} is a multi-task model (${record.tasks.map((t) => t.name).join(", ")}); export writes one head per model: train the task alone to export it`,
    );
  }
  const task: ExportTask =
    record.task === "token-classification"
      ? "token-classification"
      : record.task === "regression"
        ? "regression"
        : "sequence-classification";
  const sourceConfig = await readConfigJson(modelDir);
  const tokenizerFrom =
    (await exists(join(modelDir, "tokenizer.json"))) || (await exists(join(modelDir, "vocab.txt")))
      ? modelDir
      : config.tokenizer;
  const base = {
    task,
    labels: record.labels,
    sourceConfig,
    modelDir,
    tokenizerFrom,
    runConfig: config,
    maxSequenceLength: maxTokens(sourceConfig),
  };
  if (record.model === "plain") {
    const { model } = await loadTrainedModel(modelDir);
    return { ...base, model };
  }
  const { model } = await loadAdaptedModel(config, modelDir, record);
  const method = config.strategy.method;
  if (!MERGEABLE_METHODS.includes(method)) {
    return {
      ...base,
      model: model as ForwardModel,
      adapter: { method, merged: false, layers: 0, maxAbsDifference: 0 },
    };
  }
  const backend = await check.backend(config.backend);
  try {
    const { mergedPaths, maxAbsDifference } = await checkMerge(
      model as AnyBertModel,
      backend,
      await check.probe(tokenizerFrom, maxTokens(sourceConfig)),
    );
    const merged = mergeAndUnload(model as AnyBertModel);
    return {
      ...base,
      model: merged,
      adapter: { method, merged: true, layers: mergedPaths.length, maxAbsDifference },
    };
  } finally {
    backend.dispose();
  }
}
