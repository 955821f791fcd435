import { type Backend, Trainer } from "@tunekit/core";
import { type CommandContext, intFlag, stringFlag, UsageError } from "../command.js";
import { createBackend } from "./backend-setup.js";
import type { TrainedRun } from "./eval-setup.js";
import type { InputModel } from "./input-split.js";
import { loadModelFolder } from "./model-folder.js";
import { paddingBuckets } from "./pipeline.js";
import type { PreparedSplit } from "./training-data.js";
import { checkTokenIds } from "./vocabulary.js";

/** Flags of `evaluate` / `predict` on a model folder (no training config). */
export const FOLDER_OPTIONS = {
  adapter: { type: "string" },
  labels: { type: "string" },
  tokenizer: { type: "string" },
  "max-length": { type: "string" },
  "batch-size": { type: "string" },
  backend: { type: "string" },
} as const;

/** Help lines of {@link FOLDER_OPTIONS}. */
export const FOLDER_HELP = [
  "model folder (no training config):",
  "  --adapter DIR    apply an adapter folder (PEFT LoRA / IA3 / prefix / prompt, tunekit-bottleneck)",
  "  --labels A,B,..  label names in id order (default: the run record beside --adapter, else",
  "                   config.json's id2label)",
  "  --tokenizer DIR  tokenizer folder (default: the model folder's)",
  "  --max-length N   longest input in tokens (default: the model's limit, at most 512)",
  "  --batch-size N   rows per batch (default 32)",
  "  --backend NAME   onnx (default) or tfjs",
];

/**
 * `evaluate` / `predict` on a Hugging Face model folder (plain, merged, or the base of
 * `--adapter`) with rows from `rows` (`--input` / `--data`): the model, its labels from
 * `config.json` (or `--labels`), a Trainer on `--backend`.
 *
 * @example
 * ```ts
 * const run = await prepareFolderRun(ctx, "/models/bert-sst2", (m) => readInputSplit(ctx, "-", m, { needLabels: false, flag: "--input" }));
 * ```
 */
export async function prepareFolderRun(
  ctx: CommandContext,
  dir: string,
  rows: ((m: InputModel) => Promise<PreparedSplit>) | undefined,
  command: string,
): Promise<TrainedRun> {
  for (const flag of ["split", "model", "task"]) {
    if (ctx.flags[flag] !== undefined && !(flag === "split" && rows !== undefined)) {
      throw new UsageError(`--${flag} applies to a run folder or config; ${dir} is a model folder`, command);
    }
  }
  if (rows === undefined) {
    throw new UsageError(
      command === "evaluate"
        ? `evaluate on a model folder needs --data FILE (CSV / TSV / JSONL / JSON with a label column, or a data set config)`
        : `predict on a model folder needs --input FILE (or - for stdin)`,
      command,
    );
  }
  const labelsFlag = stringFlag(ctx, "labels");
  const labels = labelsFlag?.split(",").map((l) => l.trim());
  if (labels?.some((l) => l === ""))
    throw new UsageError(`--labels ${labelsFlag} has an empty name`, command);
  const twice = labels?.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined)
    throw new UsageError(
      `--labels ${labelsFlag} names "${twice}" twice; give each label once, in id order`,
      command,
    );
  const m = await loadModelFolder(dir, {
    adapter: stringFlag(ctx, "adapter"),
    labels,
    tokenizer: stringFlag(ctx, "tokenizer"),
    maxLength: intFlag(ctx, "max-length"),
  });
  for (const line of m.notes) ctx.io.stderr(`${line}\n`);
  const prepared = await rows({
    tokenizer: m.tokenizer,
    maxLength: m.maxLength,
    labels: m.labels,
    task: m.task,
  });
  checkTokenIds(m.model, prepared.data.ids, m.tokenizer, "input");
  const name = (stringFlag(ctx, "backend", ["onnx", "tfjs"]) ?? "onnx") as "onnx" | "tfjs";
  const backend: Backend = await createBackend({ name }, (line) => ctx.io.stderr(`${line}\n`));
  const trainer = new Trainer({
    model: m.model,
    backend,
    batchSize: intFlag(ctx, "batch-size") ?? 32,
    epochs: 1,
    padding: paddingBuckets(m.maxLength),
    bucketing: { windowBatches: 50 },
  });
  return {
    config: undefined,
    modelDir: dir,
    task: m.task,
    labels: m.labels,
    taskName: undefined,
    // a data set config's split keeps its name (--split, or the default validation); a file is "input"
    split: ctx.flags.split !== undefined || prepared.name !== "test" ? prepared.name : "input",
    prepared,
    data: prepared.data,
    trainer,
    dispose: async () => {
      await trainer.dispose();
      backend.dispose();
    },
  };
}
