import { latestCheckpoint } from "../checkpoint/checkpoint-rotation.js";
import { configDifferences } from "../checkpoint/config-hash.js";
import { loadTrainingCheckpoint, type TrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import type { TrainerStateJson } from "../checkpoint/trainer-state.js";
import { TunekitError } from "../errors.js";
import { assignWeights } from "./assign-weights.js";
import type { MetricTracker } from "./early-stopping.js";
import type { FitPosition } from "./fit-checkpoints.js";
import type { EvaluationResult } from "./trainer-callbacks.js";
import type { TrainerModel } from "./trainer-model.js";
import { invalidOption } from "./trainer-options.js";

/**
 * Opens the checkpoint to resume from (`"latest"`: the newest in `checkpointDir`), checks
 * that it was written with the same options (`hash`, unless `ignoreConfigMismatch`) and the
 * same trainable parameters, and loads its weights into `model`.
 *
 * @example
 * ```ts
 * const ckpt = await openResumeCheckpoint({ resumeFrom: "latest", checkpointDir, model, hash, hashed });
 * ```
 */
export async function openResumeCheckpoint(a: {
  readonly resumeFrom: string;
  readonly checkpointDir: string | undefined;
  readonly model: TrainerModel;
  readonly hash: string;
  readonly hashed: Readonly<Record<string, unknown>>;
  readonly ignoreConfigMismatch?: boolean | undefined;
}): Promise<TrainingCheckpoint> {
  let folder = a.resumeFrom;
  if (folder === "latest") {
    const found = a.checkpointDir === undefined ? undefined : await latestCheckpoint(a.checkpointDir);
    if (found === undefined) {
      invalidOption(
        "resumeFrom",
        "latest",
        `a checkpoint folder; none found in checkpoints.dir (${a.checkpointDir ?? "not set"})`,
      );
    }
    folder = found;
  }
  const ckpt = await loadTrainingCheckpoint(folder);
  const s = ckpt.state;
  if (s.configHash !== a.hash && !a.ignoreConfigMismatch) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${folder}: the checkpoint was written with other training options (${configDifferences(s.config, a.hashed).join("; ")}); ` +
        "use the same options to continue exactly, or pass ignoreConfigMismatch: true",
    );
  }
  assignWeights(a.model, ckpt.model, folder);
  const trainable = a.model
    .namedParameters()
    .filter(([, p]) => p.trainable)
    .map(([n]) => n)
    .sort();
  if (trainable.join("\n") !== [...s.trainableParameters].sort().join("\n")) {
    throw new TunekitError(
      "CHECKPOINT_MISMATCH",
      `${folder}: trainable parameters differ; checkpoint has ${s.trainableParameters.length} (${s.trainableParameters.slice(0, 3).join(", ")}…), ` +
        `the model has ${trainable.length} (${trainable.slice(0, 3).join(", ")}…); apply the same strategy before resuming`,
    );
  }
  return ckpt;
}

/**
 * An evaluation read back from `trainer_state.json` (JSON writes NaN as null).
 *
 * @example
 * ```ts
 * const evaluations = state.evaluations.map(restoreEvaluation);
 * ```
 */
export function restoreEvaluation(e: TrainerStateJson["evaluations"][number]): EvaluationResult {
  const num = (v: number | null | undefined): number => (typeof v === "number" ? v : Number.NaN);
  const metrics = Object.fromEntries(Object.entries(e.metrics).map(([k, v]) => [k, num(v)]));
  return { step: e.step, epoch: e.epoch ?? 0, loss: num(e.loss), metrics, numExamples: e.numExamples ?? 0 };
}

/**
 * Restores where a resumed fit stands from its checkpoint's trainer state: the data position,
 * the best-metric and early-stopping trackers (when they follow the same metric and mode; they
 * may not with `ignoreConfigMismatch`) and the evaluation history. Returns the best
 * checkpoint's name to keep (null when the best tracker starts fresh).
 *
 * @example
 * ```ts
 * bestCheckpoint = restoreFitProgress(ckpt.state, { pos, bestMetric, bestTracker, esMetric, es, evaluations });
 * ```
 */
export function restoreFitProgress(
  s: TrainerStateJson,
  t: {
    readonly pos: FitPosition;
    readonly bestMetric: string;
    readonly bestTracker: MetricTracker;
    readonly esMetric: string;
    readonly es: MetricTracker | undefined;
    readonly evaluations: EvaluationResult[];
  },
): string | null {
  // A checkpoint at the end of an epoch holds the state after the epoch-end work (position at
  // the next epoch). One with every batch of its epoch done but the position not moved on was
  // written before that work (older versions): the fit loop replays the epoch end.
  t.pos.epoch = s.epoch;
  t.pos.batchInEpoch = s.batchInEpoch;
  let bestCheckpoint: string | null = null;
  if (s.best.metric === t.bestMetric && s.best.mode === t.bestTracker.mode) {
    t.bestTracker.restore(s.best);
    bestCheckpoint = s.bestCheckpoint;
  }
  if (t.es && s.earlyStopping?.metric === t.esMetric && s.earlyStopping.mode === t.es.mode) {
    t.es.restore(s.earlyStopping);
  }
  t.evaluations.push(...s.evaluations.map(restoreEvaluation));
  return bestCheckpoint;
}
