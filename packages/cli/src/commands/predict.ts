import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { type Dataset, type Tokenizer, TunekitError } from "@tunekit/core";
import type { CliTask } from "../config/train-config.js";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import {
  formatFromPath,
  PREDICTION_FORMATS,
  type PredictionFormat,
  predictionRecords,
  writePredictions,
} from "../predictions-file.js";
import { prepareTrainedRun } from "../setup/eval-setup.js";
import { tokenizeSplit } from "../setup/pipeline.js";
import { tokenizeWords } from "../setup/token-data.js";
import type { PreparedSplit } from "../setup/training-data.js";

/** `tunekit predict RUN_OR_CONFIG --out FILE`: writes predictions as CSV or JSON Lines. */
export const predictCommand: CliCommand = {
  name: "predict",
  summary: "write a trained model's predictions for a split or a text file to CSV or JSONL",
  usage:
    "tunekit predict RUN_DIR|CONFIG --out FILE [--split test|validation|train] [--input TEXT_FILE] [--format csv|jsonl] [--model DIR] [--task NAME] [--max-rows N] [--json]",
  help: [
    "Predicts every row of a data split (default test), or every line of --input.",
    "CSV columns: row, text[, text_pair][, label], prediction, prob_<label>...; JSONL has the same",
    "fields with probabilities as an object. Regression writes the score as the prediction;",
    "token classification writes tokens and one predicted tag per word (CSV: space-separated).",
    "",
    "options:",
    "  --out FILE       where to write (format from the extension: .csv, .jsonl)",
    "  --format F       csv or jsonl (overrides the extension)",
    "  --split NAME     split of the config's data set (default test)",
    "  --input FILE     a UTF-8 text file, one text per line (a tab separates a text pair;",
    "                   token classification: words separated by spaces)",
    "  --model DIR      model folder (default: the run's model)",
    "  --task NAME      which head of a multi-task model (a run trained on a tasks mixture)",
    "  --max-rows N     predict the first N rows only",
  ],
  options: {
    out: { type: "string" },
    format: { type: "string" },
    split: { type: "string" },
    input: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    "max-rows": { type: "string" },
  },
  positionals: 1,
  run: runPredict,
};

async function runPredict(ctx: CommandContext): Promise<number> {
  const out = stringFlag(ctx, "out");
  if (out === undefined) throw new UsageError("predict needs --out FILE (.csv or .jsonl)", "predict");
  const format = (stringFlag(ctx, "format", PREDICTION_FORMATS) ?? formatFromPath(out)) as
    | PredictionFormat
    | undefined;
  if (format === undefined) {
    throw new UsageError(
      `cannot tell the format of --out ${out}; use a .csv or .jsonl name, or --format csv|jsonl`,
      "predict",
    );
  }
  const input = stringFlag(ctx, "input");
  if (input !== undefined && ctx.flags.split !== undefined)
    throw new UsageError("give --split or --input, not both", "predict");
  const run = await prepareTrainedRun(ctx, {
    command: "predict",
    defaultSplit: "test",
    needLabels: false,
    ...(input === undefined ? {} : { rows: async (o) => readInputFile(resolve(ctx.io.cwd, input), o) }),
  });
  try {
    const result = await run.trainer.predict(run.data, { task: run.taskName });
    const records = predictionRecords(run.prepared.rows, result, run.labels);
    const path = resolve(ctx.io.cwd, out);
    await writePredictions(path, records, format);
    if (ctx.json) {
      ctx.io.stdout(
        `${JSON.stringify({ ok: true, command: "predict", model: run.modelDir, task: run.task, split: run.split, rows: records.length, output: path, format })}\n`,
      );
    } else {
      ctx.io.stdout(`wrote ${records.length} predictions (${run.split}) to ${relative(ctx.io.cwd, path)}\n`);
    }
    return 0;
  } finally {
    await run.dispose();
  }
}

async function readInputFile(
  path: string,
  o: {
    readonly tokenizer: Tokenizer;
    readonly maxLength: number;
    readonly labels: readonly string[];
    readonly task: CliTask;
  },
): Promise<PreparedSplit> {
  const text = await readFile(path, "utf8").catch((e: Error) => {
    throw new TunekitError("IO_ERROR", `cannot read --input ${path}: ${e.message}`);
  });
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new TunekitError("DATA_INVALID", `--input ${path} has no non-empty lines`);
  if (o.task === "token-classification") {
    const split = { words: lines.map((l) => l.trim().split(/\s+/)), tags: undefined };
    const data = tokenizeWords(split, o.labels, o.tokenizer, o.maxLength);
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
      `--input ${path}: some lines have a tab-separated pair and some do not; use one form`,
    );
  }
  const dataset: Dataset = {
    name: "input",
    split: "test",
    task: o.task === "regression" ? "regression" : "classification",
    labelNames: o.labels,
    texts,
    textPairs: hasPairs ? pairs : undefined,
    labels: undefined,
    rowFile: new Int32Array(texts.length),
    rowLine: Int32Array.from(texts, (_, i) => i + 1),
    report: {
      files: [path],
      rowsRead: texts.length,
      rowsKept: texts.length,
      badRows: [],
      blankLines: [],
      labelCounts: {},
    },
  };
  return {
    name: "test",
    data: tokenizeSplit(dataset, o.tokenizer, o.maxLength),
    labelled: false,
    rows: { kind: "texts", texts, textPairs: dataset.textPairs, gold: undefined },
  };
}
