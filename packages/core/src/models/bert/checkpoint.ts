import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { type BertConfig, bertConfigToJson, readBertConfig } from "../../io/bert-config.js";
import { encoderClassStem } from "../../io/encoder-config.js";
import { readModelWeights } from "../../io/model-weights.js";
import { assertFiniteWeights } from "../../io/finite-check.js";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
import { stateDict } from "../../modules/state-dict.js";
import { BertForSequenceClassification, BertForTokenClassification } from "./bert-heads.js";
import { BertForMaskedLM } from "./bert-mlm.js";
import { BertForPreTraining } from "./bert-pretraining.js";
import { BertModel } from "./bert-model.js";
import { type BertCheckpointReport, loadBertWeights } from "./load-weights.js";
import { bertParameterCount, checkBertSize } from "./parameter-count.js";
import type { AnyBertModel } from "./trace-forward.js";

/** Which BERT to build from a checkpoint folder. @example `await loadBertCheckpoint(folder, { task: "base" satisfies BertTask })` */
export type BertTask =
  | "sequence-classification"
  | "token-classification"
  | "masked-lm"
  | "pretraining"
  | "base";

/** The model class built for each {@link BertTask}. @example `const model: BertModelForTask["token-classification"] = createBertForTask(config, { task: "token-classification" })` */
export interface BertModelForTask {
  "sequence-classification": BertForSequenceClassification;
  "token-classification": BertForTokenClassification;
  "masked-lm": BertForMaskedLM;
  pretraining: BertForPreTraining;
  base: BertModel;
}

/**
 * Options of {@link loadBertCheckpoint}.
 *
 * @example
 * ```ts
 * const opts: LoadBertCheckpointOptions = { task: "token-classification", numLabels: 9 };
 * ```
 */
export interface LoadBertCheckpointOptions<T extends BertTask = BertTask> {
  readonly task: T;
  /** Number of labels of a fresh head (default: from `id2label` / `num_labels`). */
  readonly numLabels?: number;
  /** Discard the checkpoint's classifier (e.g. trained on other labels) and start fresh. */
  readonly reinitializeHead?: boolean;
  /** Seed of the random initialisation of anything not in the checkpoint (default 0). */
  readonly seed?: number;
}

/**
 * A loaded BERT: the model, its parsed config and what was loaded, initialised or ignored.
 *
 * @example
 * ```ts
 * const { model, report } = await loadBertCheckpoint(dir, { task: "base" });
 * ```
 */
export interface LoadedBert<T extends BertTask = BertTask> {
  readonly model: BertModelForTask[T];
  readonly config: BertConfig;
  readonly report: BertCheckpointReport;
}

/**
 * Builds a BERT for `task` from a Hugging Face folder (`config.json` + `model.safetensors`,
 * or `pytorch_model.bin`, or their sharded forms: see {@link readModelWeights}) and loads
 * its weights (see {@link loadBertWeights} for the
 * matching rules: `bert.` prefix optional, mismatches are `CHECKPOINT_MISMATCH` errors,
 * a fresh classification head is allowed and reported in `report.initialized`).
 *
 * @example
 * ```ts
 * const { model, report } = await loadBertCheckpoint("./bert-tiny", {
 *   task: "sequence-classification",
 *   numLabels: 2,
 * });
 * console.log(report.initialized); // ["classifier.weight", "classifier.bias"] for a base checkpoint
 * ```
 */
export async function loadBertCheckpoint<T extends BertTask>(
  folder: string,
  options: LoadBertCheckpointOptions<T>,
): Promise<LoadedBert<T>> {
  const config = await readBertConfig(folder);
  const { tensors, file } = await readModelWeights(folder);
  assertFiniteWeights(tensors, join(folder, file)); // NaN weights would evaluate and predict NaN silently
  // Before allocating the model: a config far larger than the checkpoint (hostile, or the
  // config of another model) fails here, not with a RangeError or out-of-memory crash.
  // Smaller differences are left to loadBertWeights, which lists the mismatched tensors.
  let stored = 0;
  for (const t of tensors.values()) stored += t.data.length;
  const { body } = bertParameterCount(config);
  if (body > 4 * stored + 1_000_000) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${join(folder, "config.json")} describes a BERT whose embeddings and encoder alone have ${body} ` +
        `parameters, but ${join(folder, file)} holds only ${stored} values; ` +
        `check that config.json and ${file} belong together`,
    );
  }
  const model = createBertForTask(config, options);
  const report = loadBertWeights(
    model,
    tensors,
    options.reinitializeHead === undefined ? {} : { reinitializeHead: options.reinitializeHead },
  );
  return { model, config, report };
}

/**
 * A randomly initialised BERT for `task` built from a parsed config.
 *
 * @example
 * ```ts
 * const model = createBertForTask(parseBertConfig(json), { task: "sequence-classification" });
 * ```
 */
export function createBertForTask<T extends BertTask>(
  config: BertConfig,
  options: LoadBertCheckpointOptions<T>,
): BertModelForTask[T] {
  checkBertSize(config, {
    pooler: options.task !== "token-classification" && options.task !== "masked-lm",
    numLabels:
      options.task === "base" || options.task === "masked-lm" || options.task === "pretraining"
        ? 0
        : (options.numLabels ?? config.numLabels),
  });
  const head = {
    ...(options.numLabels === undefined ? {} : { numLabels: options.numLabels }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  if ((options.task === "masked-lm" || options.task === "pretraining") && config.modelType !== "bert") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `task "${options.task}" builds BERT's pre-training heads; a ${config.modelType} model trains as ` +
        "sequence-classification, token-classification or base",
    );
  }
  switch (options.task) {
    case "sequence-classification":
      return new BertForSequenceClassification(config, head) as BertModelForTask[T];
    case "token-classification":
      return new BertForTokenClassification(config, head) as BertModelForTask[T];
    case "masked-lm":
      return new BertForMaskedLM(
        config,
        options.seed === undefined ? {} : { seed: options.seed },
      ) as BertModelForTask[T];
    case "pretraining":
      return new BertForPreTraining(
        config,
        options.seed === undefined ? {} : { seed: options.seed },
      ) as BertModelForTask[T];
    case "base":
      return new BertModel(
        config,
        options.seed === undefined ? {} : { seed: options.seed },
      ) as BertModelForTask[T];
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `unknown task "${String(options.task)}"; expected sequence-classification, token-classification, masked-lm, pretraining or base`,
      );
  }
}

/**
 * Options of {@link saveBertCheckpoint}.
 *
 * @example
 * ```ts
 * const opts: SaveBertCheckpointOptions = { dtype: "float16" };
 * ```
 */
export interface SaveBertCheckpointOptions {
  /** Storage type of the weights (default float32). `float16` halves the file, rounds each weight to
   * the nearest half (relative error ≤ 2^-11) and writes `torch_dtype: "float16"`; loading gives float32. */
  readonly dtype?: "float32" | "float16";
}

/**
 * Writes `model` as a Hugging Face folder: `config.json` (with `architectures`,
 * `id2label`/`label2id` for heads) and `model.safetensors` with Hugging Face names.
 * Creates the folder if needed.
 *
 * @example
 * ```ts
 * await saveBertCheckpoint(model, "./out/checkpoint-100");
 * await saveBertCheckpoint(model, "./out/half", { dtype: "float16" }); // half the bytes
 * ```
 */
export async function saveBertCheckpoint(
  model: AnyBertModel | BertForMaskedLM | BertForPreTraining,
  folder: string,
  options: SaveBertCheckpointOptions = {},
): Promise<void> {
  await mkdir(folder, { recursive: true });
  const base = model instanceof BertModel ? model : model.bert;
  const json: Record<string, unknown> = { ...bertConfigToJson(base.config) };
  const stem = encoderClassStem(base.config.modelType);
  if (model instanceof BertModel) json.architectures = [`${stem}Model`];
  else if (model instanceof BertForMaskedLM) json.architectures = ["BertForMaskedLM"];
  else if (model instanceof BertForPreTraining) json.architectures = ["BertForPreTraining"];
  else {
    json.architectures = [model.constructor.name.replace(/^Bert/, stem)];
    json.id2label = Object.fromEntries(model.labels.map((l, i) => [String(i), l]));
    json.label2id = Object.fromEntries(model.labels.map((l, i) => [l, i]));
    delete json.num_labels;
  }
  const half = options.dtype === "float16";
  if (options.dtype !== undefined && options.dtype !== "float32" && !half) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `saveBertCheckpoint: dtype must be "float32" or "float16", got ${JSON.stringify(options.dtype)}`,
    );
  }
  json.torch_dtype = half ? "float16" : "float32";
  await writeFileAtomic(join(folder, "config.json"), `${JSON.stringify(json, null, 2)}\n`);
  await writeSafetensorsFile(
    join(folder, "model.safetensors"),
    stateDict(model),
    { format: "pt" },
    half ? { floatDType: "F16" } : {},
  );
}
