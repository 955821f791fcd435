import { join } from "node:path";
import { listCheckpoints } from "../checkpoint/checkpoint-rotation.js";
import { configDifferences } from "../checkpoint/config-hash.js";
import { loadTrainingCheckpoint, type TrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import { CHECKPOINT_FILES, type TrainerStateJson } from "../checkpoint/trainer-state.js";
import { isTunekitError, TunekitError } from "../errors.js";
import { assertFiniteWeights } from "../io/finite-check.js";
import { assignWeights } from "./assign-weights.js";
import type { MetricTracker } from "./early-stopping.js";
import type { FitPosition } from "./fit-checkpoints.js";
import type { EvaluationResult } from "./trainer-callbacks.js";
import type { TrainerModel } from "./trainer-model.js";
import { invalidOption } from "./trainer-options.js";

/**
 * Opens the checkpoint to resume from (`"latest"`: the newest valid one in `checkpointDir`),
 * checks that it was written with the same options (`hash`, unless `ignoreConfigMismatch`)
 * and the same trainable parameters, and loads its weights into `model`. With `"latest"`, a
 * damaged newest checkpoint (a missing or truncated file, NaN weights) is skipped for the
 * next older one with a warning (`warn`, default `process.emitWarning`); when none is valid
 * the error lists each one and why.
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
  readonly warn?: ((message: string) => void) | undefined;
}): Promise<TrainingCheckpoint> {
  const folder = a.resumeFrom;
  const ckpt =
    folder === "latest" ? await newestValidCheckpoint(a.checkpointDir, a.warn) : await readCheckpoint(folder);
  return checkResumable(ckpt, a);
}

/** Reads a checkpoint and refuses non-finite weights (a diverged run's). */
async function readCheckpoint(folder: string): Promise<TrainingCheckpoint> {
  const ckpt = await loadTrainingCheckpoint(folder);
  assertFiniteWeights(ckpt.model, join(folder, CHECKPOINT_FILES.model));
  return ckpt;
}

/**
 * The newest checkpoint of `dir` that reads back whole, skipping damaged ones (newest first)
 * with a warning naming each and why.
 *
 * @example
 * ```ts
 * const ckpt = await newestValidCheckpoint("runs/x/checkpoints", (m) => console.warn(m));
 * ```
 */
export async function newestValidCheckpoint(
  dir: string | undefined,
  warn: (message: string) => void = (m) => process.emitWarning(m, { code: "TUNEKIT_CHECKPOINT_FALLBACK" }),
): Promise<TrainingCheckpoint> {
  const found = dir === undefined ? [] : await listCheckpoints(dir);
  if (found.length === 0) {
    invalidOption(
      "resumeFrom",
      "latest",
      `a checkpoint folder; none found in checkpoints.dir (${dir ?? "not set"})`,
    );
  }
  const skipped: string[] = [];
  for (const c of [...found].reverse()) {
    try {
      const ckpt = await readCheckpoint(c.path);
      if (skipped.length > 0) {
        warn(
          `skipped damaged checkpoint(s): ${skipped.join("; ")}; resuming from the newest valid one, ${c.path}`,
        );
      }
      return ckpt;
    } catch (e) {
      if (!isTunekitError(e, "CHECKPOINT_INVALID")) throw e;
      skipped.push(`${c.name} (${e.message})`);
    }
  }
  throw new TunekitError(
    "CHECKPOINT_INVALID",
    `no valid checkpoint to resume from in ${dir}: ${skipped.join("; ")}; expected at least one complete checkpoint ` +
      "folder. Start over without resuming (or restore a checkpoint)",
    { details: { dir } },
  );
}

function checkResumable(
  ckpt: TrainingCheckpoint,
  a: Parameters<typeof openResumeCheckpoint>[0],
): TrainingCheckpoint {
  const folder = ckpt.folder;
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
