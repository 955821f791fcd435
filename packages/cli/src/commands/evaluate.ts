import { relative } from "node:path";
import type { CliCommand, CommandContext } from "../command.js";
import { metricsTable } from "../format-table.js";
import { prepareTrainedRun } from "../setup/eval-setup.js";

/** `tunekit evaluate RUN_OR_CONFIG`: loss and task metrics of a trained model on a split. */
export const evaluateCommand: CliCommand = {
  name: "evaluate",
  summary: "score a trained model on a data split (loss and task metrics)",
  usage:
    "tunekit evaluate RUN_DIR|CONFIG [--split validation|test|train] [--model DIR] [--task NAME] [--max-rows N] [--json]",
  help: [
    "RUN_DIR is an output folder of tunekit train; CONFIG is its config file (the model is",
    "then read from OUTPUT/model, or --model).",
    "",
    "options:",
    "  --split NAME     split to score (default validation)",
    "  --model DIR      model folder (Hugging Face config.json + model.safetensors or pytorch_model.bin)",
    "  --task NAME      which head of a multi-task model (a run trained on a tasks mixture); its data",
    "                   set from the run's config",
    "  --max-rows N     score the first N rows only",
  ],
  options: {
    split: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    "max-rows": { type: "string" },
  },
  positionals: 1,
  run: runEvaluate,
};

async function runEvaluate(ctx: CommandContext): Promise<number> {
  const run = await prepareTrainedRun(ctx, {
    command: "evaluate",
    defaultSplit: "validation",
    needLabels: true,
  });
  try {
    const r = await run.trainer.evaluate(run.data, { task: run.taskName });
    if (ctx.json) {
      ctx.io.stdout(
        `${JSON.stringify({
          ok: true,
          command: "evaluate",
          model: run.modelDir,
          task: run.task,
          split: run.split,
          rows: r.numExamples,
          loss: r.loss,
          metrics: r.metrics,
        })}\n`,
      );
    } else {
      ctx.io.stdout(`model ${relative(ctx.io.cwd, run.modelDir) || "."} (${run.task})\n\n`);
      ctx.io.stdout(`${metricsTable(r, `${run.split} (${r.numExamples} rows)`)}\n`);
    }
    return 0;
  } finally {
    await run.dispose();
  }
}
