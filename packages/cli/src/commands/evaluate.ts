import { mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { type CliCommand, type CommandContext, stringFlag } from "../command.js";
import {
  CONFUSION_SVG,
  classReport,
  classReportJson,
  classReportTable,
  writeConfusionSvg,
} from "../eval-report.js";
import { metricsTable } from "../format-table.js";
import { prepareTrainedRun } from "../setup/eval-setup.js";
import { FOLDER_HELP, FOLDER_OPTIONS } from "../setup/folder-run.js";
import { INPUT_HELP, INPUT_OPTIONS, readInputSplit } from "../setup/input-split.js";
import { writeJson } from "../setup/run-files.js";

/** `tunekit evaluate MODEL_OR_RUN`: loss, task metrics and per-class scores of a model. */
export const evaluateCommand: CliCommand = {
  name: "evaluate",
  summary: "score a model on a data split or file (loss, task metrics, per-class scores, confusion matrix)",
  usage:
    "tunekit evaluate MODEL_DIR|RUN_DIR|CONFIG [--data FILE|-] [--adapter DIR] [--split validation|test|train] [--out DIR] [options] [--json]",
  help: [
    "RUN_DIR is an output folder of tunekit train; CONFIG is its config file (the model is",
    "then read from OUTPUT/model, or --model). MODEL_DIR is a Hugging Face folder (config.json +",
    "model.safetensors or pytorch_model.bin + tokenizer; plain, fine-tuned or merged), scored on",
    "--data with no training config. Classification prints precision / recall / F1 / support per",
    "class, their macro and weighted averages and the confusion matrix.",
    "",
    "options:",
    "  --data FILE      rows to score: CSV / TSV / JSONL / JSON with a label column, or a data set",
    "                   config file (its --split); - reads stdin. Default: the run's data set",
    ...INPUT_HELP,
    "  --split NAME     split to score (default validation)",
    `  --out DIR        write DIR/metrics.json (everything above) and DIR/${CONFUSION_SVG}`,
    "  --model DIR      a run's model folder (Hugging Face config.json + weights)",
    "  --task NAME      which head of a multi-task model (a run trained on a tasks mixture); its data",
    "                   set from the run's config",
    "  --max-rows N     score the first N rows of the split only",
    "",
    ...FOLDER_HELP,
  ],
  options: {
    data: { type: "string" },
    split: { type: "string" },
    out: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    "max-rows": { type: "string" },
    ...INPUT_OPTIONS,
    ...FOLDER_OPTIONS,
  },
  positionals: 1,
  run: runEvaluate,
};

async function runEvaluate(ctx: CommandContext): Promise<number> {
  const data = stringFlag(ctx, "data");
  const out = stringFlag(ctx, "out");
  const run = await prepareTrainedRun(ctx, {
    command: "evaluate",
    defaultSplit: "validation",
    needLabels: true,
    rows:
      data === undefined
        ? undefined
        : (m) =>
            readInputSplit(ctx, data, m, { needLabels: true, flag: "--data", defaultSplit: "validation" }),
  });
  try {
    const r = await run.trainer.evaluate(run.data, { task: run.taskName });
    const report = classReport(r, run.labels);
    const title = `${run.split} (${r.numExamples} rows)`;
    const summary = {
      ok: true,
      command: "evaluate",
      model: run.modelDir,
      task: run.task,
      split: run.split,
      rows: r.numExamples,
      loss: r.loss,
      metrics: r.metrics,
      ...(report === undefined ? {} : { classes: classReportJson(report) }),
    };
    let written: { metrics: string; svg: string | undefined } | undefined;
    if (out !== undefined) {
      const dir = resolve(ctx.io.cwd, out);
      await mkdir(dir, { recursive: true });
      await writeJson(join(dir, "metrics.json"), summary);
      const svg = report === undefined ? undefined : await writeConfusionSvg(dir, report, title);
      written = { metrics: join(dir, "metrics.json"), svg };
    }
    if (ctx.json) {
      ctx.io.stdout(`${JSON.stringify({ ...summary, ...(written === undefined ? {} : { written }) })}\n`);
    } else {
      ctx.io.stdout(`model ${relative(ctx.io.cwd, run.modelDir) || "."} (${run.task})\n\n`);
      ctx.io.stdout(`${metricsTable(r, title)}\n`);
      if (report !== undefined) ctx.io.stdout(`\n${classReportTable(report)}\n`);
      if (written !== undefined) {
        const shown = [written.metrics, written.svg]
          .filter((p) => p !== undefined)
          .map((p) => relative(ctx.io.cwd, p!));
        ctx.io.stdout(`\nwrote ${shown.join(", ")}\n`);
      }
    }
    return 0;
  } finally {
    await run.dispose();
  }
}
