import { dirname, join, relative, resolve } from "node:path";
import {
  adamw,
  type EvaluationResult,
  loadTokenizer,
  parameterReport,
  Trainer,
  isTunekitError,
  TunekitError,
  type TrainerModel,
  type TrainerOptions,
} from "@tunekit/core";
import { assignWeights, loadTrainingCheckpoint, TASK_METRICS } from "@tunekit/core/trainer";
import { baseModelName } from "@tunekit/strategies";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import { readConfigFile } from "../config/config-file.js";
import type { TrainConfig } from "../config/train-config.js";
import { isRecord } from "../config/validate.js";
import { classReport, classReportJson, classReportTable, writeConfusionSvg } from "../eval-report.js";
import { metricsTable } from "../format-table.js";
import { ProgressRenderer } from "../progress.js";
import { createBackend, describeBackend } from "../setup/backend-setup.js";
import { paddingBuckets } from "../setup/pipeline.js";
import { prepareRunData } from "../setup/run-data.js";
import {
  copyTokenizerFiles,
  loadTrainConfigFile,
  MODEL_DIR,
  RUN_FILE,
  type RunRecord,
  writeJson,
} from "../setup/run-files.js";
import { explainDivergence } from "../setup/divergence.js";
import { resolveHubReferences } from "../setup/hub-model.js";
import { InterruptGuard } from "../setup/interrupts.js";
import {
  CHECKPOINTS_DIR,
  checkFreeSpace,
  estimateRunBytes,
  prepareOutputFolder,
} from "../setup/output-folder.js";
import { reportInterrupted } from "../setup/interrupted-run.js";
import { resumePoint } from "../setup/resume-point.js";
import { acquireRunLock } from "../setup/run-lock.js";
import { continueAdapter } from "../setup/continue-adapter.js";
import { balanceOptions, scheduleOptions } from "../setup/train-balance.js";
import { TRAIN_LOSS_FILE, TrainLossLedger } from "../setup/train-loss.js";
import { ADAPTER_DIR, adaptedModelNote, saveTrainedModel } from "../setup/trained-model.js";
import { createStrategy } from "../strategy-config.js";
import { relativeCheckpointLine, trainOverrides } from "./train-flags.js";
import { runStages } from "./train-stages.js";

/** `tunekit train CONFIG`: trains, evaluates and saves a model as a config describes. */
export const trainCommand: CliCommand = {
  name: "train",
  summary: "train a model as a JSON/YAML config describes; evaluates and saves it",
  usage:
    "tunekit train CONFIG [--output DIR] [--max-steps N] [--epochs N] [--backend onnx|tfjs] [--set K=V]... [--resume | --overwrite] [--break-lock] [--json]",
  help: [
    "CONFIG is a .json, .yaml or .yml file with: model ({path} or {random}), tokenizer, data,",
    "task, strategy, backend, training and output (see packages/cli/README.md and examples/).",
    "A Llama / Mistral / Qwen2 model.path fine-tunes a causal LM on data.jsonl (task causal-lm).",
    "Writes OUTPUT/model (Hugging Face folder + tokenizer), OUTPUT/metrics.json (per-class scores",
    "for classification), OUTPUT/confusion-matrix.svg,",
    `OUTPUT/${RUN_FILE} and OUTPUT/checkpoints/.`,
    "",
    "options:",
    "  --output DIR     override the config's output folder",
    "  --max-steps N    override training.maxSteps",
    "  --epochs N       override training.epochs",
    "  --eval-every N|epoch|never",
    "                   override training.evalEvery: every N updates (and epoch ends), epoch ends,",
    "                   or never during training (the final weights are kept and scored at the end)",
    "  --checkpoint-every N",
    "                   override training.checkpointEvery: also checkpoint every N updates",
    "  --backend NAME   override backend: onnx (default) or tfjs",
    "  --resume         continue from the latest checkpoint in OUTPUT/checkpoints",
    "  --overwrite      start over even though OUTPUT/checkpoints holds an earlier run (deletes it);",
    "                   without it a new run refuses such a folder",
    "  --ignore-config-mismatch",
    "                   with --resume: continue even though training options changed (e.g. more steps)",
    "  --break-lock     take over the output folder's run lock (OUTPUT/.tunekit-lock) even though",
    "                   another run seems to hold it (one that ended on another host)",
    "  --adapter DIR    start the config's lora / rslora / dora / ia3 strategy from a PEFT adapter",
    "                   folder's weights (e.g. an earlier run's adapter/) and continue training it",
    "  --base-model NAME",
    "                   recorded as the adapter's base_model_name_or_path (default: the Hub id in",
    "                   the base folder's config.json, else the folder's name; never a local path)",
    "  --set K=V        override any config key (repeatable), e.g. --set training.batchSize=16",
    "                   --set data.maxRows.train=1000 (V is parsed as JSON when it can be)",
  ],
  options: {
    output: { type: "string", short: "o" },
    "max-steps": { type: "string" },
    epochs: { type: "string" },
    "eval-every": { type: "string" },
    "checkpoint-every": { type: "string" },
    backend: { type: "string" },
    resume: { type: "boolean" },
    overwrite: { type: "boolean" },
    "ignore-config-mismatch": { type: "boolean" },
    "break-lock": { type: "boolean" },
    set: { type: "string", multiple: true },
    "base-model": { type: "string" },
    adapter: { type: "string" },
  },
  positionals: 1,
  run: runTrain,
};

async function runTrain(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const started = performance.now();
  const resume = ctx.flags.resume === true;
  const ignoreMismatch = ctx.flags["ignore-config-mismatch"] === true;
  if (ignoreMismatch && !resume)
    throw new UsageError("--ignore-config-mismatch only applies with --resume", "train");
  const overwrite = ctx.flags.overwrite === true;
  if (overwrite && resume)
    throw new UsageError("--overwrite starts over and --resume continues: pass one of them", "train");
  if (resume && ctx.flags.adapter !== undefined)
    throw new UsageError(
      "--resume continues from the run's checkpoint; --adapter starts a new run: pass one of them",
      "train",
    );
  const overrides = trainOverrides(ctx);
  const file = resolve(io.cwd, ctx.positionals[0]!);
  const rawFile = await readConfigFile(file);
  if (isRecord(rawFile) && rawFile.stages !== undefined) {
    if (ctx.flags.adapter !== undefined)
      throw new UsageError(
        "--adapter applies to a single-stage config (each stage starts from the one before)",
        "train",
      );
    const local = await resolveHubReferences(rawFile, dirname(file), io);
    return runStages(ctx, local as Record<string, unknown>, file, overrides, { resume, overwrite });
  }
  const { config, raw, path } = await loadTrainConfigFile(ctx.positionals[0]!, io.cwd, overrides, io);
  const note = (line: string): void => io.stderr(`${line}\n`);
  const lock = await acquireRunLock(config.output, {
    command: `tunekit train ${ctx.positionals[0]!}`,
    breakLock: ctx.flags["break-lock"] === true,
    note,
  });
  const guard = new InterruptGuard({
    note,
    exit: (code) => process.exit(code),
    beforeExit: () => lock.releaseSync(),
  });
  try {
    const output = await prepareOutputFolder(config.output, { resume, overwrite, note });
    if (resume && output.checkpoints.length === 0) {
      note(
        `note: --resume: no complete checkpoint in ${relative(io.cwd, join(config.output, CHECKPOINTS_DIR)) || "."} ` +
          "(the earlier run ended before its first checkpoint was complete, or never ran): starting from step 0",
      );
    }
    const resumeFrom =
      resume && output.checkpoints.length > 0
        ? await resumePoint(join(config.output, CHECKPOINTS_DIR), note, io.cwd)
        : undefined;
    return await trainLocked(ctx, {
      config,
      raw,
      path,
      started,
      resumeFrom,
      ignoreMismatch,
      note,
      guard,
    });
  } finally {
    guard.dispose();
    await lock.release();
  }
}

async function trainLocked(
  ctx: CommandContext,
  run: {
    readonly config: TrainConfig;
    readonly raw: unknown;
    readonly path: string;
    readonly started: number;
    /** The checkpoint folder to continue from (`--resume`). */
    readonly resumeFrom: string | undefined;
    readonly ignoreMismatch: boolean;
    readonly note: (line: string) => void;
    readonly guard: InterruptGuard;
  },
): Promise<number> {
  const { io } = ctx;
  const { config, raw, path, started, resumeFrom, ignoreMismatch, note, guard } = run;
  const resume = resumeFrom !== undefined;
  const t = config.training;

  const tokenizer = await loadTokenizer(config.tokenizer);
  const data = await prepareRunData(config, tokenizer);
  const { task, labels: labelNames } = data;
  if (data.evalTarget === undefined) {
    const off = [
      t.evalEvery !== undefined && "training.evalEvery",
      t.earlyStopping && "training.earlyStopping",
    ].filter(Boolean);
    const what = config.mixture
      ? "no task has labelled evaluation rows"
      : `no labelled ${config.data.evalSplit} split`;
    note(`note: ${what}: training without evaluation${off.length ? ` (${off.join(" and ")} ignored)` : ""}`);
  }
  const balance = balanceOptions(config, data);
  if (data.evalTarget !== undefined && t.evalEvery === "never") {
    note(
      'note: training.evalEvery is "never": no evaluation during training, so no best checkpoint; the final weights are kept (and scored once at the end)',
    );
  }
  const built = { model: data.base, random: data.random, notice: data.notice };
  const banner = built.random ? `\n*** ${built.notice} ***\n` : built.notice;
  note(banner);
  const strategy = await createStrategy(config.strategy, config.source, {
    tokenizer,
    ...(config.mixture === undefined ? {} : { tasks: config.mixture.tasks.map((x) => x.name) }),
  });
  const model = strategy.apply(built.model);
  const adapterFrom = stringFlag(ctx, "adapter");
  if (adapterFrom !== undefined) note(await continueAdapter(model, resolve(io.cwd, adapterFrom)));
  const params = parameterReport(model);
  note(
    `strategy ${strategy.method}: ${params.trainable.toLocaleString("en-US")} of ${params.total.toLocaleString("en-US")} parameters trainable (${params.percentTrainable.toFixed(2)}%)`,
  );
  for (const line of [...data.lines, ...balance.lines]) note(line);
  note(`backend ${describeBackend(config.backend)}`);
  const checkpointDir = join(config.output, CHECKPOINTS_DIR);
  const disk = estimateRunBytes(model.namedParameters(), {
    accumulation: t.gradientAccumulation,
    checkpoints: resume ? 2 : 3,
  });
  await checkFreeSpace(
    config.output,
    disk.total,
    `${resume ? 2 : 3} checkpoints of ${(disk.checkpoint / 1024 / 1024).toFixed(1)} MB and the final model`,
  );
  const backend = await createBackend(config.backend, note);

  const progress = new ProgressRenderer(io, { logEvery: 10 });
  const metricForBest = t.metricForBest ?? data.defaultMetric;
  const losses = await TrainLossLedger.open(checkpointDir, resume);
  const trainerOptions: TrainerOptions = {
    model: model as TrainerModel,
    backend,
    batchSize: t.batchSize,
    optimizer: adamw({ weightDecay: t.weightDecay, decayFilter: "hf" }),
    ...(t.evalBatchSize === undefined ? {} : { evalBatchSize: t.evalBatchSize }),
    ...(t.epochs === undefined ? {} : { epochs: t.epochs }),
    ...(t.maxSteps === undefined ? {} : { maxSteps: t.maxSteps }),
    lr: t.lr,
    schedule: t.schedule,
    ...(t.warmupSteps === undefined ? {} : { warmupSteps: t.warmupSteps }),
    ...(t.warmupRatio === undefined ? {} : { warmupRatio: t.warmupRatio }),
    ...(t.clipNorm === undefined ? {} : { clipNorm: t.clipNorm }),
    gradientAccumulation: t.gradientAccumulation,
    ...(t.optimizerOnHost === undefined ? {} : { optimizerOnHost: t.optimizerOnHost }),
    ...(t.hostThreads === undefined ? {} : { hostThreads: t.hostThreads }),
    seed: t.seed,
    dropout: t.dropout,
    padding: paddingBuckets(t.maxLength),
    bucketing: config.mixture ? false : { windowBatches: 50 },
    ...balance.options,
    ...scheduleOptions(t, { hasEval: data.evalTarget !== undefined, metricForBest, checkpointDir }),
    callbacks: [losses.callbacks()],
    onProgress: (p) => progress.update(p),
    logger: (line) => {
      if (line.startsWith("eval ")) progress.line(line);
      else if (line.startsWith("checkpoint ")) progress.line(relativeCheckpointLine(line, io.cwd));
    },
    logEvery: 1_000_000_000,
  };
  const trainer = new Trainer(trainerOptions);
  try {
    guard.training(trainer);
    const fit = await trainer
      .fit(data.train, {
        ...data.fitOptions,
        ...(resume ? { resumeFrom, ignoreConfigMismatch: ignoreMismatch } : {}),
      })
      .catch((e: unknown) => {
        if (isTunekitError(e, "CHECKPOINT_MISMATCH") && resume && !ignoreMismatch) {
          throw new TunekitError(
            "CHECKPOINT_MISMATCH",
            `${e.message} (on the command line: add --ignore-config-mismatch, e.g. to train a finished run for more steps)`,
            { cause: e },
          );
        }
        throw explainDivergence(e, model as TrainerModel);
      });
    progress.finish();
    guard.finishing();
    const trainLoss = losses.mean(fit.resumedFrom?.step);
    if (trainLoss.partial && fit.resumedFrom !== undefined) {
      note(
        `note: the mean train loss covers the ${fit.step - fit.resumedFrom.step} steps since the resume only (the checkpoint has no ${TRAIN_LOSS_FILE})`,
      );
    }
    if (fit.stopReason === "stopped" && guard.received !== undefined) {
      return reportInterrupted(ctx, {
        signal: guard.received,
        step: fit.step,
        checkpoint: fit.lastCheckpoint,
      });
    }
    if (fit.bestCheckpoint !== undefined && fit.best !== undefined && fit.best.step !== fit.step) {
      const best = await loadTrainingCheckpoint(fit.bestCheckpoint);
      assignWeights(model as TrainerModel, best.model, fit.bestCheckpoint);
      await trainer.dispose(); // frozen weights are compiled in: recompile with the best ones
      note(
        `loaded the best checkpoint (step ${fit.best.step}, ${fit.best.metric} ${fit.best.value.toFixed(4)})`,
      );
    }
    const final: EvaluationResult | undefined =
      data.evalTarget === undefined ? undefined : await trainer.evaluate(data.evalTarget);
    const modelDir = join(config.output, MODEL_DIR);
    const saved = await saveTrainedModel({
      base: built.model,
      adapted: model,
      strategy,
      dir: modelDir,
      adapterDir: join(config.output, ADAPTER_DIR),
      baseModelName:
        stringFlag(ctx, "base-model") ??
        (config.model.kind === "pretrained" ? await baseModelName(config.model.path) : undefined),
    });
    await copyTokenizerFiles(config.tokenizer, modelDir);
    if (saved.kind === "adapted") {
      const decoder = task === "causal-lm";
      note(
        adaptedModelNote({ method: strategy.method, decoder, modelDir, adapter: saved.adapter, cwd: io.cwd }),
      );
    }
    const record: RunRecord = {
      format: "tunekit-run",
      version: 1,
      configFile: path,
      configDir: join(path, ".."),
      cwd: io.cwd,
      config: raw,
      task,
      labels: labelNames,
      ...(data.heads === undefined ? {} : { tasks: data.heads }),
      model: saved.kind,
    };
    await writeJson(join(config.output, RUN_FILE), record);
    const seconds = (performance.now() - started) / 1000;
    const report = final === undefined || config.mixture ? undefined : classReport(final, labelNames);
    const evalTitle = final === undefined ? "" : `${data.evalTitle} (${final.numExamples} rows)`;
    if (report !== undefined) await writeConfusionSvg(config.output, report, evalTitle);
    const summary = {
      ok: true,
      command: "train",
      output: config.output,
      model: modelDir,
      savedAs: saved.kind,
      ...(saved.adapter === undefined ? {} : { adapter: saved.adapter }),
      randomModel: built.random,
      task,
      labels: labelNames,
      strategy: strategy.method,
      backend: describeBackend(config.backend),
      steps: fit.step,
      epochsCompleted: fit.epoch,
      stopReason: fit.stopReason,
      trainLoss: trainLoss.mean,
      parameters: { total: params.total, trainable: params.trainable },
      best: fit.best ?? null,
      evaluation:
        final === undefined
          ? null
          : {
              split: config.mixture ? "per task" : config.data.evalSplit,
              rows: final.numExamples,
              loss: final.loss,
              metrics: final.metrics,
              ...(report === undefined ? {} : { classes: classReportJson(report) }),
            },
      evaluations: fit.evaluations.map((e) => ({ step: e.step, loss: e.loss, metrics: e.metrics })),
      seconds,
    };
    await writeJson(join(config.output, "metrics.json"), summary);
    if (ctx.json) {
      io.stdout(`${JSON.stringify(summary)}\n`);
    } else {
      const where = relative(io.cwd, config.output) || ".";
      io.stdout(
        `trained ${fit.step} steps (${fit.stopReason}) in ${seconds.toFixed(1)}s; mean train loss ${trainLoss.mean.toFixed(4)}\n`,
      );
      if (final !== undefined) {
        io.stdout(`\n${metricsTable(final, evalTitle)}\n\n`);
        if (report !== undefined) io.stdout(`${classReportTable(report)}\n\n`);
      }
      if (built.random) io.stdout("(a randomly initialised model, not a pre-trained one)\n");
      io.stdout(`saved to ${where}/${MODEL_DIR}; metrics in ${where}/metrics.json\n`);
    }
    return 0;
  } finally {
    progress.finish();
    await trainer.dispose();
    backend.dispose();
  }
}

/** Metric names reported per CLI task (for help texts and docs). */
export const CLI_METRICS = {
  "sequence-classification": TASK_METRICS.classification,
  regression: TASK_METRICS.regression,
  "token-classification": TASK_METRICS["token-classification"],
  "causal-lm": TASK_METRICS["causal-lm"],
};
