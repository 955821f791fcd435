import { join } from "node:path";
import { loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import type { TrainerStateJson } from "../checkpoint/trainer-state.js";
import { TRAINER_STATE_FORMAT } from "../checkpoint/trainer-state.js";
import { TunekitError } from "../errors.js";
import { adamw } from "../optim/adamw.js";
import type { Optimizer } from "../optim/optimizer.js";
import { TrainStepRunner } from "../train/train-step-runner.js";
import { assignWeights } from "./assign-weights.js";
import { MetricTracker } from "./early-stopping.js";
import { FitCheckpoints, type FitPosition } from "./fit-checkpoints.js";
import { planFit } from "./fit-plan.js";
import { type EvaluationResult, runHooks, type StopReason } from "./trainer-callbacks.js";
import { resolveFitSource } from "./fit-source.js";
import type { TaskMixture } from "./task-mixture.js";
import type { EvalLoopOptions, PredictResult } from "./trainer-eval.js";
import { type EvaluateOptions, evaluateModel, loopOptions, predictModel } from "./trainer-inference.js";
import { defaultMetricMode } from "./trainer-metrics.js";
import { type TrainerData, trainerForward } from "./trainer-model.js";
import { type TrainerOptions, validateTrainerOptions } from "./trainer-options.js";
import { formatProgress, ProgressMeter } from "./trainer-progress.js";
import { openResumeCheckpoint, restoreFitProgress } from "./trainer-resume.js";

/**
 * Options of {@link Trainer.fit}.
 *
 * @example
 * ```ts
 * const o: FitOptions = { evalData: validation, resumeFrom: "latest" };
 * ```
 */
export interface FitOptions {
  /** Evaluated per `evaluation` (needed for early stopping and best checkpoints). */
  readonly evalData?: TrainerData;
  /** A checkpoint folder, or `"latest"` for the newest one in `checkpoints.dir`. */
  readonly resumeFrom?: string;
  /** Resume even when the saved options differ (the run is then not an exact continuation). */
  readonly ignoreConfigMismatch?: boolean;
}

/**
 * What {@link Trainer.fit} returns.
 *
 * @example
 * ```ts
 * const { step, stopReason, best, bestCheckpoint } = await trainer.fit(train, { evalData: validation });
 * ```
 */
export interface FitResult {
  readonly step: number;
  readonly epoch: number;
  readonly stopReason: StopReason;
  /** Mean loss of the updates run by this call. */
  readonly trainLoss: number;
  readonly best: { readonly metric: string; readonly value: number; readonly step: number } | undefined;
  /** Path of the best checkpoint (when checkpoints and evaluation are on). */
  readonly bestCheckpoint: string | undefined;
  readonly lastCheckpoint: string | undefined;
  readonly evaluations: readonly EvaluationResult[];
  /** Whether the model now holds the best checkpoint's weights (`loadBestAtEnd`). */
  readonly loadedBest: boolean;
  /** The checkpoint folder training resumed from (`resumeFrom`), and its step. */
  readonly resumedFrom: { readonly folder: string; readonly step: number } | undefined;
}

/**
 * Fine-tunes a BERT head on a backend: `fit` (epochs or max steps, gradient accumulation,
 * schedules, clipping, evaluation every N steps, early stopping, best / last-K
 * checkpoints, exact resume), `evaluate` (loss + task metrics) and `predict`. Steps run on
 * a {@link TrainStepRunner} (one compiled graph per batch shape); parameters with
 * `trainable` set are trained, so full fine-tuning, head-only and adapters work alike.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ model, backend: createReferenceBackend(), batchSize: 8, epochs: 3, lr: 5e-5 });
 * const result = await trainer.fit(train, { evalData: validation });
 * const { metrics } = await trainer.evaluate(validation);
 * const { predictions } = await trainer.predict(test);
 * ```
 */
export class Trainer {
  readonly options: TrainerOptions;
  private readonly optimizer: Optimizer;
  private runner: TrainStepRunner | undefined;
  private stopRequested = false;

  constructor(options: TrainerOptions) {
    validateTrainerOptions(options);
    this.options = options;
    this.optimizer = options.optimizer ?? adamw({ weightDecay: 0.01, decayFilter: "hf" });
  }

  /**
   * Asks a running `fit` to end after the current update (e.g. on SIGINT); it then writes
   * a final checkpoint (when checkpoints are on) and returns with `stopReason: "stopped"`.
   */
  stop(): void {
    this.stopRequested = true;
  }

  /** Optimizer updates applied so far. */
  get step(): number {
    return this.runner?.stepCount ?? 0;
  }

  /**
   * Loss and metrics over `data`: the task's metrics (or `metrics`); for a multi-task model,
   * task `options.task`'s, or every task's and their `macro` score over a {@link TaskMixture}.
   */
  async evaluate(data: TrainerData | TaskMixture, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const r = await evaluateModel(this.getRunner(), this.options, data, options);
    return { step: this.step, epoch: 0, ...r };
  }

  /**
   * Logits, probabilities and predicted labels for every row of `data` (labels not needed);
   * a multi-task model predicts with the head of `options.task`.
   */
  async predict(
    data: TrainerData,
    options: { readonly task?: string | undefined } = {},
  ): Promise<PredictResult> {
    return predictModel(this.getRunner(), this.options, data, options);
  }

  /** Releases the compiled graphs. */
  async dispose(): Promise<void> {
    await this.runner?.dispose();
    this.runner = undefined;
  }

  /**
   * Trains on `train`; see {@link TrainerOptions} and {@link FitOptions}. Calling `fit` again
   * without `resumeFrom` starts a new run from the current weights (fresh optimizer state).
   */
  async fit(train: TrainerData | TaskMixture, fitOptions: FitOptions = {}): Promise<FitResult> {
    const o = this.options;
    this.stopRequested = false;
    const source = resolveFitSource(o, train, fitOptions);
    const { task, bestMetric, esMetric } = source;
    const plan = planFit(o, this.optimizer.config, source.planData, task);
    const {
      accumulation: k,
      seed,
      padding,
      totalSteps,
      limitReason,
      epochs,
      schedule,
      scheduleName,
      hashed,
      hash,
    } = plan;
    const bestTracker = new MetricTracker(o.bestMode ?? defaultMetricMode(bestMetric));
    const es = o.earlyStopping
      ? new MetricTracker(o.earlyStopping.mode ?? defaultMetricMode(esMetric), o.earlyStopping.minDelta ?? 0)
      : undefined;
    const evaluations: EvaluationResult[] = [];
    const pos: FitPosition = { epoch: 0, batchInEpoch: 0 };
    let bestCheckpoint: string | null = null;
    let resumedFrom: FitResult["resumedFrom"];
    const ckptDir = o.checkpoints?.dir;

    if (fitOptions.resumeFrom !== undefined) {
      const ckpt = await openResumeCheckpoint({
        resumeFrom: fitOptions.resumeFrom,
        checkpointDir: ckptDir,
        model: o.model,
        hash,
        hashed,
        ignoreConfigMismatch: fitOptions.ignoreConfigMismatch,
      });
      const s = ckpt.state;
      resumedFrom = { folder: ckpt.folder, step: s.step };
      await this.dispose(); // frozen parameters are compile-time constants: recompile after loading
      this.getRunner().setState({
        step: s.step,
        microStep: s.microStep,
        optimizer: ckpt.optimizer,
        accumulators: ckpt.accumulators,
        optimizerConfig: ckpt.optimizerConfig,
      });
      bestCheckpoint = restoreFitProgress(s, { pos, bestMetric, bestTracker, esMetric, es, evaluations });
    }

    if (fitOptions.resumeFrom === undefined && (this.runner?.stepCount ?? 0) > 0) {
      await this.dispose(); // a second fit starts a new run from the current weights (fresh optimizer state)
    }
    const runner = this.getRunner();
    const callbacks = o.callbacks ?? [];
    const log = o.logger;
    const loop: EvalLoopOptions = loopOptions(o, task === "multi-task" ? "classification" : task);
    const meter = new ProgressMeter(runner.stepCount, totalSteps);
    let lossSum = 0;
    let lossCount = 0;

    const state = (): TrainerStateJson => ({
      format: TRAINER_STATE_FORMAT,
      version: 1,
      step: runner.stepCount,
      microStep: runner.microStepCount,
      epoch: pos.epoch,
      batchInEpoch: pos.batchInEpoch,
      rng: { seed, epoch: pos.epoch },
      schedule: { name: scheduleName, completedSteps: runner.stepCount, totalSteps },
      best: { metric: bestMetric, ...bestTracker.toJSON(), mode: bestTracker.mode },
      bestCheckpoint: ckpts.bestCheckpoint,
      earlyStopping: es ? { metric: esMetric, ...es.toJSON(), mode: es.mode } : null,
      configHash: hash,
      config: hashed,
      trainableParameters: this.trainableNames(),
      evaluations: evaluations.map((e) => ({ ...e, metrics: { ...e.metrics } })),
    });

    const ckpts = new FitCheckpoints(
      {
        dir: ckptDir,
        keepLast: o.checkpoints?.keepLast ?? 2,
        model: o.model,
        runner,
        position: pos,
        callbacks,
        log,
        state: () => state(),
      },
      bestCheckpoint,
    );
    const save = (isBest: boolean): Promise<boolean> => ckpts.save(isBest);

    // A checkpoint due at the update that ends an epoch (every-steps, or a best evaluation) is
    // written once, after the epoch-end work (evaluation, position moved to the next epoch), so
    // every step number is saved once and its checkpoint holds everything done at that step.
    let saveAtEpochEnd: { isBest: boolean } | undefined;

    /** Evaluates; a new best writes a checkpoint now, or at the epoch end when `deferSave`. */
    const evaluateNow = async (deferSave = false): Promise<{ stop: boolean; reason?: StopReason }> => {
      // the confusion matrix is left to Trainer.evaluate: fit's evaluations are kept in checkpoints
      const { confusion: _, ...r } = await source.evaluate(runner, loop);
      const result: EvaluationResult = { step: runner.stepCount, epoch: pos.epoch, ...r };
      evaluations.push(result);
      const value = (m: string): number => (m === "loss" ? r.loss : r.metrics[m]!);
      // an evaluation whose loss is not finite (NaN weights) is never the best, whatever its metric
      const isBest = bestTracker.update(
        Number.isFinite(r.loss) ? value(bestMetric) : Number.NaN,
        runner.stepCount,
      );
      let reason: StopReason | undefined;
      if (es) {
        es.update(value(esMetric), runner.stepCount);
        if (es.sinceBest >= o.earlyStopping!.patience) reason = "early-stopping";
      }
      log?.(
        `eval step ${result.step} loss ${r.loss.toFixed(4)} ${Object.entries(r.metrics)
          .map(([n, v]) => `${n} ${v.toFixed(4)}`)
          .join(" ")}${isBest ? " (best)" : ""}`,
      );
      let stop = await runHooks(callbacks, "onEvaluate", result);
      if (reason === undefined && stop) reason = "callback";
      if (isBest && deferSave) saveAtEpochEnd = { isBest: true };
      else if (isBest && (await save(true))) {
        stop = true;
        reason ??= "callback";
      }
      return reason === undefined ? { stop } : { stop: true, reason };
    };

    let stopReason: StopReason | undefined = runner.stepCount >= totalSteps ? limitReason : undefined;
    let microLosses: number[] = [];
    let epochLosses: number[] = [];
    const everyEval = source.hasEval ? o.evaluation?.everySteps : undefined;
    const evalAtEpochEnd =
      source.hasEval && (o.evaluation?.atEpochEnd ?? o.evaluation?.everySteps === undefined);
    const ckptEvery = o.checkpoints?.everySteps;
    const ckptAtEpochEnd = o.checkpoints?.atEpochEnd ?? ckptEvery === undefined;
    const endEpoch = async (): Promise<void> => {
      const ended = pos.epoch;
      pos.epoch++;
      pos.batchInEpoch = 0;
      const alreadyEvaluated = evaluations.at(-1)?.step === runner.stepCount && everyEval !== undefined;
      if (evalAtEpochEnd && !alreadyEvaluated) {
        const e = await evaluateNow();
        if (e.stop) stopReason ??= e.reason ?? "callback";
      }
      const due = saveAtEpochEnd;
      saveAtEpochEnd = undefined;
      // save() skips a write when nothing changed (an epoch-end best evaluation just saved)
      if ((due !== undefined || ckptAtEpochEnd) && (await save(due?.isBest ?? false)))
        stopReason ??= "callback";
      const meanLoss = epochLosses.length
        ? epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length
        : Number.NaN;
      epochLosses = [];
      if (await runHooks(callbacks, "onEpochEnd", { epoch: ended, step: runner.stepCount, meanLoss })) {
        stopReason ??= "callback";
      }
    };

    if (pos.batchInEpoch >= plan.updatesPerEpoch * k) await endEpoch(); // resumed before its epoch end
    while (stopReason === undefined) {
      const batches = plan.batches(pos.epoch);
      const usable = plan.updatesPerEpoch * k;
      while (pos.batchInEpoch < usable && stopReason === undefined) {
        const batch = source.collate(batches[pos.batchInEpoch]!, padding);
        const stepLr = schedule(runner.stepCount);
        const r = await runner.step(batch.feeds, { lr: stepLr });
        pos.batchInEpoch++;
        meter.add(batch.tokens, batch.indices.length);
        microLosses.push(r.loss);
        if (!r.applied) continue;
        const step = runner.stepCount;
        const endsEpoch = pos.batchInEpoch >= usable;
        const loss = microLosses.reduce((a, b) => a + b, 0) / microLosses.length;
        if (!Number.isFinite(loss)) {
          throw new TunekitError(
            "TRAINING_DIVERGED",
            `Trainer: the training loss is ${loss} at step ${step} (epoch ${pos.epoch}, lr ${stepLr}); ` +
              "lower lr, set clipNorm (e.g. 1) or add warm-up, then resume from the last checkpoint",
            { details: { step, epoch: pos.epoch, lr: stepLr } },
          );
        }
        microLosses = [];
        epochLosses.push(loss);
        lossSum += loss;
        lossCount++;
        const progress = meter.progress({ step, epoch: pos.epoch, epochs, loss, lr: stepLr });
        o.onProgress?.(progress);
        if (log && (step % (o.logEvery ?? 10) === 0 || step === totalSteps)) log(formatProgress(progress));
        const info = {
          step,
          epoch: pos.epoch,
          loss,
          lr: stepLr,
          ...(r.gradNorm === undefined ? {} : { gradNorm: r.gradNorm }),
        };
        if (await runHooks(callbacks, "onStep", info)) stopReason = "callback";
        if (this.stopRequested) stopReason ??= "stopped";
        if (step >= totalSteps) stopReason ??= limitReason;
        if (everyEval !== undefined && step % everyEval === 0) {
          const e = await evaluateNow(endsEpoch);
          if (e.stop) stopReason ??= e.reason ?? "callback";
        }
        if (ckptEvery !== undefined && step % ckptEvery === 0) {
          if (endsEpoch) saveAtEpochEnd ??= { isBest: false };
          else if (await save(false)) stopReason ??= "callback";
        }
      }
      if (pos.batchInEpoch >= usable) await endEpoch();
    }
    await runner.syncToHost(); // the model's parameter values are current when fit returns
    await save(false);
    const bestPath =
      ckptDir === undefined || ckpts.bestCheckpoint === null
        ? undefined
        : join(ckptDir, ckpts.bestCheckpoint);
    let loadedBest = false;
    if (o.loadBestAtEnd && bestPath !== undefined && bestTracker.bestStep !== runner.stepCount) {
      assignWeights(o.model, (await loadTrainingCheckpoint(bestPath)).model, bestPath);
      await this.dispose(); // frozen weights are compile-time constants: recompile for evaluate/predict
      loadedBest = true;
      log?.(`loaded the best checkpoint ${bestPath}`);
    }
    for (const c of callbacks)
      await c.onTrainEnd?.({ step: this.runner?.stepCount ?? runner.stepCount, stopReason });
    return {
      step: runner.stepCount,
      epoch: pos.epoch,
      stopReason,
      trainLoss: lossCount ? lossSum / lossCount : Number.NaN,
      best:
        bestTracker.best === undefined
          ? undefined
          : { metric: bestMetric, value: bestTracker.best, step: bestTracker.bestStep ?? 0 },
      bestCheckpoint: bestPath,
      loadedBest,
      resumedFrom,
      lastCheckpoint: ckpts.lastCheckpoint,
      evaluations,
    };
  }

  private trainableNames(): string[] {
    return this.options.model
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .map(([n]) => n)
      .sort();
  }

  private getRunner(): TrainStepRunner {
    if (this.runner === undefined) {
      const o = this.options;
      this.runner = new TrainStepRunner({
        backend: o.backend,
        params: o.model.namedParameters().map(([, p]) => p),
        forward: trainerForward(o.model, { classWeights: o.classWeights }),
        optimizer: this.optimizer,
        gradientAccumulation: o.gradientAccumulation ?? 1,
        dropout: o.dropout ?? true,
        seed: o.seed ?? 42,
        // Training reads the loss only: no logits copied out of each step.
        stepOutputs: "loss",
        ...(o.clipNorm === undefined ? {} : { clipNorm: o.clipNorm }),
        ...(o.optimizerOnHost === true ? { optimizerOnHost: true } : {}),
        ...(o.hostThreads === undefined ? {} : { hostThreads: o.hostThreads }),
      });
    }
    return this.runner;
  }
}
