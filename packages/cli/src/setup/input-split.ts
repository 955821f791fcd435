import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type Dataset, loadDataset, type Tokenizer, TunekitError } from "@tunekit/core";
import { type CommandContext, stringFlag, UsageError } from "../command.js";
import type { CliTask } from "../config/train-config.js";
import { isRecord } from "../config/validate.js";
import { INPUT_FORMATS, type InputFormat, inputFormat, readInputTable } from "./input-table.js";
import { tokenizeSplit } from "./pipeline.js";
import { loadTokenData, tokenizeWords } from "./token-data.js";
import type { PreparedSplit, SplitName } from "./training-data.js";

/**
 * What reading an input file needs from the model: its tokenizer, input length, labels and task.
 *
 * @example
 * ```ts
 * const m: InputModel = { tokenizer, maxLength: 128, labels: ["neg", "pos"], task: "sequence-classification" };
 * ```
 */
export interface InputModel {
  readonly tokenizer: Tokenizer;
  readonly maxLength: number;
  readonly labels: readonly string[];
  readonly task: CliTask;
}

/** Flags of the input columns, shared by `predict` and `evaluate`. */
export const INPUT_OPTIONS = {
  "input-format": { type: "string" },
  "text-column": { type: "string", multiple: true },
  "text-pair-column": { type: "string", multiple: true },
  "label-column": { type: "string" },
  field: { type: "string" },
} as const;

/** Help lines of {@link INPUT_OPTIONS}. */
export const INPUT_HELP = [
  "  --input-format F csv, tsv (with a header), jsonl, json or text (default: from the extension,",
  "                   else from the content; stdin: sniffed)",
  "  --text-column C  the text column / JSON key (default: text, sentence, sentence1, ...);",
  "                   repeat it to join several columns with a space",
  "  --text-pair-column C  a second text (sentence pairs)",
  "  --label-column C the gold label column (default: label if present)",
  "  --field PATH     json: dot path to the records array (e.g. sst2)",
];

/** Largest standard input read (as core's data readers' largest file). */
const MAX_STDIN_BYTES = 512 * 2 ** 20;

async function stdinText(ctx: CommandContext): Promise<string> {
  if (ctx.io.readStdin !== undefined) return ctx.io.readStdin();
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_STDIN_BYTES) {
      throw new TunekitError(
        "DATA_INVALID",
        `stdin holds more than ${MAX_STDIN_BYTES / 2 ** 20} MiB; write it to a file and pass --input FILE`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const list = (ctx: CommandContext, name: string): string[] | undefined => {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
  if (values.some((x) => x === "")) throw new UsageError(`--${name} needs a column name`);
  return values;
};

/**
 * Reads `spec` (a file, or `-` for stdin) as the rows to predict or score: a table (CSV / TSV /
 * JSONL / JSON, columns per {@link INPUT_OPTIONS}), plain text lines, or (for `evaluate
 * --data`) a data set config file, whose `--split` is used. A token classification model reads
 * CoNLL / IOB or JSONL (`tokens`, `tags`) files to score, and words split on spaces to predict.
 * Tokenised for the model.
 *
 * @example
 * ```ts
 * const split = await readInputSplit(ctx, "reviews.csv", model, { needLabels: true, flag: "--data" });
 * ```
 */
export async function readInputSplit(
  ctx: CommandContext,
  spec: string,
  m: InputModel,
  o: { readonly needLabels: boolean; readonly flag: string; readonly defaultSplit?: SplitName },
): Promise<PreparedSplit> {
  const formatFlag = stringFlag(ctx, "input-format", INPUT_FORMATS) as InputFormat | undefined;
  let file = spec === "-" ? undefined : resolve(ctx.io.cwd, spec);
  const shownAs = spec === "-" ? "stdin" : spec;
  let tmp: string | undefined;
  try {
    let text: string;
    if (file === undefined) {
      text = await stdinText(ctx);
      tmp = await mkdtemp(join(tmpdir(), "tunekit-stdin-"));
      file = join(tmp, "stdin");
      await writeFile(file, text);
    } else {
      text = await readFile(file, "utf8").catch((e: Error) => {
        throw new TunekitError("IO_ERROR", `cannot read ${o.flag} ${spec}: ${e.message}`);
      });
    }
    const format = inputFormat(spec === "-" ? "" : file, text, formatFlag);
    if (m.task === "token-classification") {
      return o.needLabels || format === "jsonl"
        ? taggedSplit(ctx, file, shownAs, m)
        : textLinesSplit(text, shownAs, m);
    }
    if (format === "json" && formatFlag === undefined && isDatasetConfig(text)) {
      return datasetConfigSplit(ctx, file, text, m, o);
    }
    if (format === "text") {
      if (o.needLabels) {
        throw new TunekitError(
          "DATA_INVALID",
          `${o.flag} ${shownAs} reads as plain text lines, which hold no labels; give a CSV / TSV / JSONL / JSON file with a label column, or a data set config`,
        );
      }
      return textLinesSplit(text, shownAs, m);
    }
    const ds = await readInputTable(
      file,
      format,
      {
        text: list(ctx, "text-column"),
        textPair: list(ctx, "text-pair-column"),
        label: stringFlag(ctx, "label-column"),
      },
      {
        labelNames: m.labels,
        task: m.task === "regression" ? "regression" : "classification",
        needLabels: o.needLabels,
        field: stringFlag(ctx, "field"),
        shownAs,
      },
    );
    return preparedOf(ds, m);
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
}

/** Token classification rows from a CoNLL / IOB file or JSONL (`tokens` + `tags`, or the column flags). */
async function taggedSplit(
  ctx: CommandContext,
  file: string,
  shownAs: string,
  m: InputModel,
): Promise<PreparedSplit> {
  const tokensKey = list(ctx, "text-column")?.[0] ?? "tokens";
  const tagsKey = stringFlag(ctx, "label-column") ?? "tags";
  const data = await loadTokenData(
    { splits: { test: file }, tokensKey, tagsKey, labels: m.labels },
    ctx.io.cwd,
  );
  const split = data.splits.test!;
  const tokenized = tokenizeWords(split, m.labels, m.tokenizer, m.maxLength);
  if (split.words.length === 0) throw new TunekitError("DATA_INVALID", `${shownAs} has no sentences`);
  return {
    name: "test",
    data: tokenized,
    labelled: split.tags !== undefined,
    rows: { kind: "words", split, wordStarts: tokenized.wordStarts },
  };
}

function isDatasetConfig(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) && typeof v.format === "string" && isRecord(v.splits);
  } catch {
    return false;
  }
}

async function datasetConfigSplit(
  ctx: CommandContext,
  file: string,
  text: string,
  m: InputModel,
  o: { readonly needLabels: boolean; readonly flag: string; readonly defaultSplit?: SplitName },
): Promise<PreparedSplit> {
  const name = (stringFlag(ctx, "split", ["train", "validation", "test"]) ??
    o.defaultSplit ??
    "validation") as SplitName;
  const splits = await loadDataset(JSON.parse(text), { baseDir: dirname(file) });
  const ds = splits[name];
  if (ds === undefined) {
    const have = (["train", "validation", "test"] as const).filter((s) => splits[s] !== undefined);
    throw new TunekitError(
      "DATA_INVALID",
      `data set config ${file} has no "${name}" split (it has ${have.join(", ") || "none"}); pick one with --split`,
    );
  }
  if (m.task !== "regression" && splits.labelNames.join("\n") !== m.labels.join("\n")) {
    throw new TunekitError(
      "DATA_INVALID",
      `the model's labels [${m.labels.join(", ")}] differ from the data set's [${splits.labelNames.join(", ")}]; ` +
        "set the data set config's labels in the model's order",
    );
  }
  if (o.needLabels && ds.labels === undefined) {
    throw new TunekitError(
      "DATA_INVALID",
      `split "${name}" of ${file} has no labels, so there is nothing to score; pick a labelled split with --split`,
    );
  }
  return { ...preparedOf(ds, m), name };
}

function preparedOf(ds: Dataset, m: InputModel): PreparedSplit {
  return {
    name: "test",
    data: tokenizeSplit(ds, m.tokenizer, m.maxLength),
    labelled: ds.labels !== undefined,
    rows: { kind: "texts", texts: ds.texts, textPairs: ds.textPairs, gold: ds.labels },
  };
}

/** One text a line (a tab before a second text); token classification: words split on spaces. */
function textLinesSplit(text: string, shownAs: string, m: InputModel): PreparedSplit {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new TunekitError("DATA_INVALID", `--input ${shownAs} has no non-empty lines`);
  if (m.task === "token-classification") {
    const split = { words: lines.map((l) => l.trim().split(/\s+/)), tags: undefined };
    const data = tokenizeWords(split, m.labels, m.tokenizer, m.maxLength);
    return {
      name: "test",
      data,
      labelled: false,
      rows: { kind: "words", split, wordStarts: data.wordStarts },
    };
  }
  const texts: string[] = [];
  const pairs: string[] = [];
  for (const line of lines) {
    const [a, b] = line.split("\t", 2) as [string, string | undefined];
    texts.push(a);
    pairs.push(b ?? "");
  }
  const hasPairs = pairs.some((p) => p !== "");
  if (hasPairs && pairs.some((p) => p === "")) {
    throw new TunekitError(
      "DATA_INVALID",
      `--input ${shownAs}: some lines have a tab-separated pair and some do not; use one form`,
    );
  }
  const dataset: Dataset = {
    name: "input",
    split: "test",
    task: m.task === "regression" ? "regression" : "classification",
    labelNames: m.labels,
    texts,
    textPairs: hasPairs ? pairs : undefined,
    labels: undefined,
    rowFile: new Int32Array(texts.length),
    rowLine: Int32Array.from(texts, (_, i) => i + 1),
    report: {
      files: [shownAs],
      rowsRead: texts.length,
      rowsKept: texts.length,
      badRows: [],
      blankLines: [],
      labelCounts: {},
    },
  };
  return preparedOf(dataset, m);
}
