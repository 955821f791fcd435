import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "@tunekit/core";
import { readTokenizerSources } from "@tunekit/core/data";
import { writeJson } from "./run-files.js";

/**
 * What an exported model does, which decides its `architectures` entry and its Transformers.js
 * pipeline: `text-classification` for sequence classification (and regression),
 * `token-classification`, `feature-extraction` for a bare encoder (`last_hidden_state`).
 *
 * @example
 * ```ts
 * const task: ExportTask = "token-classification";
 * ```
 */
export type ExportTask =
  | "sequence-classification"
  | "regression"
  | "token-classification"
  | "feature-extraction";

/** Hugging Face class-name prefix of each `model_type` (for configs without `architectures`). */
const CLASS_PREFIX: Readonly<Record<string, string>> = {
  bert: "Bert",
  roberta: "Roberta",
  "xlm-roberta": "XLMRoberta",
  distilbert: "DistilBert",
  electra: "Electra",
};

const HEAD_SUFFIX =
  /(ForSequenceClassification|ForTokenClassification|ForMaskedLM|ForPreTraining|ForQuestionAnswering|Model)$/;

/**
 * The `architectures` name of a model exported for `task`: the config's class prefix
 * (`Bert` of `BertForMaskedLM`, else from `model_type`) + the head's suffix.
 *
 * @example
 * ```ts
 * architectureFor({ model_type: "bert", architectures: ["BertForMaskedLM"] }, "token-classification"); // "BertForTokenClassification"
 * ```
 */
export function architectureFor(config: Readonly<Record<string, unknown>>, task: ExportTask): string {
  const listed = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  const fromList =
    typeof listed === "string" && HEAD_SUFFIX.test(listed) ? listed.replace(HEAD_SUFFIX, "") : "";
  const type = typeof config.model_type === "string" ? config.model_type : "bert";
  const prefix = fromList || CLASS_PREFIX[type] || "Bert";
  const suffix =
    task === "token-classification"
      ? "ForTokenClassification"
      : task === "feature-extraction"
        ? "Model"
        : "ForSequenceClassification";
  return `${prefix}${suffix}`;
}

/**
 * `config.json` of an exported model: the source config with `architectures` for the task,
 * `id2label` / `label2id` from `labels` (so pipelines name the labels), and `problem_type`
 * `regression` for a one-output regression head.
 *
 * @example
 * ```ts
 * const json = exportConfigJson(source, "sequence-classification", ["negative", "positive"]);
 * json.id2label; // { "0": "negative", "1": "positive" }
 * ```
 */
export function exportConfigJson(
  source: Readonly<Record<string, unknown>>,
  task: ExportTask,
  labels: readonly string[],
): Record<string, unknown> {
  const json: Record<string, unknown> = { ...source, architectures: [architectureFor(source, task)] };
  if (task === "sequence-classification" || task === "token-classification") {
    json.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    json.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
    delete json.num_labels;
  } else if (task === "regression") {
    json.problem_type = "regression";
    json.num_labels = 1;
  }
  return json;
}

/** Tokenizer classes Transformers.js knows, by `model_type`. */
const TOKENIZER_CLASS: Readonly<Record<string, string>> = {
  bert: "BertTokenizer",
  roberta: "RobertaTokenizer",
  "xlm-roberta": "XLMRobertaTokenizer",
  distilbert: "DistilBertTokenizer",
  electra: "ElectraTokenizer",
};

/** Special-token roles by the usual token strings of WordPiece, BPE and Unigram vocabularies. */
const SPECIAL_ROLES: readonly [string, RegExp][] = [
  ["pad_token", /^(\[PAD\]|<pad>)$/],
  ["unk_token", /^(\[UNK\]|<unk>)$/],
  ["cls_token", /^(\[CLS\]|<s>)$/],
  ["sep_token", /^(\[SEP\]|<\/s>)$/],
  ["mask_token", /^(\[MASK\]|<mask>)$/],
  ["bos_token", /^<s>$/],
  ["eos_token", /^<\/s>$/],
];

/**
 * Writes `tokenizer.json` and `tokenizer_config.json` for Transformers.js into `dir`, from
 * the tokenizer folder `from`: its `tokenizer.json` (or the one tunekit derives from a
 * WordPiece `vocab.txt`), and its `tokenizer_config.json` completed with `tokenizer_class`
 * (from `model_type`), the special tokens found among the added tokens (`pad_token`, …; the
 * pipelines pad batches with `pad_token`) and `model_max_length` (`max_position_embeddings`)
 * when missing. Returns the file names written.
 *
 * @example
 * ```ts
 * await writeExportTokenizer("runs/x/model", "out", { model_type: "bert", max_position_embeddings: 512 });
 * ```
 */
export async function writeExportTokenizer(
  from: string,
  dir: string,
  modelConfig: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  const sources = await readTokenizerSources(from);
  const tokenizerJson = sources.tokenizerJson as Record<string, unknown>;
  const config: Record<string, unknown> =
    typeof sources.config === "object" && sources.config !== null
      ? { ...(sources.config as Record<string, unknown>) }
      : {};
  const type = typeof modelConfig.model_type === "string" ? modelConfig.model_type : "bert";
  if (config.tokenizer_class === undefined && TOKENIZER_CLASS[type] !== undefined) {
    config.tokenizer_class = TOKENIZER_CLASS[type];
  }
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  for (const entry of added) {
    const content = (entry as { content?: unknown }).content;
    if (typeof content !== "string") continue;
    for (const [role, pattern] of SPECIAL_ROLES) {
      if (config[role] === undefined && pattern.test(content)) config[role] = content;
    }
  }
  if (config.pad_token === undefined) {
    throw new TunekitError(
      "TOKENIZER_INVALID",
      `${sources.source}: no padding token among the tokenizer's added tokens and no pad_token in tokenizer_config.json; ` +
        "Transformers.js pads batches with it: add pad_token to the tokenizer folder's tokenizer_config.json",
    );
  }
  const maxPositions = modelConfig.max_position_embeddings;
  if (config.model_max_length === undefined && typeof maxPositions === "number") {
    // RoBERTa-style position ids start after the padding index: 2 fewer usable positions
    const offset = type === "roberta" || type === "xlm-roberta" ? 2 : 0;
    config.model_max_length = maxPositions - offset;
  }
  await writeJson(join(dir, "tokenizer.json"), tokenizerJson);
  await writeJson(join(dir, "tokenizer_config.json"), config);
  return ["tokenizer.json", "tokenizer_config.json"];
}

/**
 * Reads a model folder's `config.json` as a JSON object (`CONFIG_INVALID` when it is not one).
 *
 * @example
 * ```ts
 * const config = await readConfigJson("runs/x/model");
 * ```
 */
export async function readConfigJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, "config.json");
  const text = await readFile(path, "utf8").catch((e: Error) => {
    throw new TunekitError(
      "IO_ERROR",
      `cannot read ${path}: ${e.message}; pass a model folder with config.json`,
    );
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path}: expected a JSON object, got ${Array.isArray(json) ? "an array" : typeof json}`,
    );
  }
  return json as Record<string, unknown>;
}
