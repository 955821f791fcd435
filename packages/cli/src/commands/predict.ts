import { relative, resolve } from "node:path";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import {
  formatFromPath,
  formatPredictions,
  PREDICTION_FORMATS,
  type PredictionFormat,
  predictionRecords,
  writePredictions,
} from "../predictions-file.js";
import { prepareTrainedRun } from "../setup/eval-setup.js";
import { FOLDER_HELP, FOLDER_OPTIONS } from "../setup/folder-run.js";
import { INPUT_HELP, INPUT_OPTIONS, readInputSplit } from "../setup/input-split.js";

/** `tunekit predict MODEL_OR_RUN --out FILE`: writes predictions as CSV or JSON Lines. */
export const predictCommand: CliCommand = {
  name: "predict",
  summary: "write a model's predictions for a split or an input file (or stdin) to CSV or JSONL",
  usage:
    "tunekit predict MODEL_DIR|RUN_DIR|CONFIG --out FILE|- [--input FILE|-] [--adapter DIR] [--split test|validation|train] [--format csv|jsonl] [options] [--json]",
  help: [
    "MODEL_DIR is a Hugging Face folder (config.json + model.safetensors or pytorch_model.bin +",
    "tokenizer; a plain, fine-tuned or merged BERT), predicted with --input and no training",
    "config; RUN_DIR / CONFIG is a tunekit train run (every row of a data split, default test).",
    "CSV columns: row, text[, text_pair][, label], prediction, prob_<label>...; JSONL has the same",
    "fields with probabilities as an object. Regression writes the score as the prediction;",
    "token classification writes tokens and one predicted tag per word (CSV: space-separated).",
    "",
    "options:",
    "  --out FILE       where to write (format from the extension: .csv, .jsonl); - for stdout",
    "  --format F       csv or jsonl (overrides the extension; default jsonl for stdout)",
    "  --input FILE     rows to predict: CSV / TSV / JSONL / JSON, or a text file with one text a",
    "                   line (a tab separates a text pair; token classification: words separated by",
    "                   spaces); - reads stdin",
    ...INPUT_HELP,
    "  --split NAME     split of a run's data set (default test)",
    "  --model DIR      a run's model folder (default: the run's model)",
    "  --task NAME      which head of a multi-task model (a run trained on a tasks mixture)",
    "  --max-rows N     predict the first N rows of the split only",
    "",
    ...FOLDER_HELP,
  ],
  options: {
    out: { type: "string" },
    format: { type: "string" },
    split: { type: "string" },
    input: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    "max-rows": { type: "string" },
    ...INPUT_OPTIONS,
    ...FOLDER_OPTIONS,
  },
  positionals: 1,
  run: runPredict,
};

async function runPredict(ctx: CommandContext): Promise<number> {
  const out = stringFlag(ctx, "out");
  if (out === undefined)
    throw new UsageError("predict needs --out FILE (.csv or .jsonl, or - for stdout)", "predict");
  const toStdout = out === "-";
  if (toStdout && ctx.json)
    throw new UsageError("--out - writes the predictions to stdout; leave out --json", "predict");
  const format = (stringFlag(ctx, "format", PREDICTION_FORMATS) ??
    (toStdout ? "jsonl" : formatFromPath(out))) as PredictionFormat | undefined;
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
    rows:
      input === undefined
        ? undefined
        : (m) => readInputSplit(ctx, input, m, { needLabels: false, flag: "--input" }),
  });
  try {
    const result = await run.trainer.predict(run.data, { task: run.taskName });
    const records = predictionRecords(run.prepared.rows, result, run.labels);
    if (toStdout) {
      ctx.io.stdout(formatPredictions(records, format));
      return 0;
    }
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
