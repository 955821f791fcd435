import { join } from "node:path";
import { checkpointName, pruneCheckpoints } from "../checkpoint/checkpoint-rotation.js";
import type { TrainerStateJson } from "../checkpoint/trainer-state.js";
import { saveTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import type { TrainStepRunner } from "../train/train-step-runner.js";
import { runHooks, type TrainerCallbacks } from "./trainer-callbacks.js";
import type { TrainerModel } from "./trainer-model.js";

/**
 * Where one `Trainer.fit` stands in its data: the epoch and how many batches of it are done.
 *
 * @example
 * ```ts
 * const pos: FitPosition = { epoch: 0, batchInEpoch: 0 };
 * ```
 */
export interface FitPosition {
  epoch: number;
  batchInEpoch: number;
}

/** What {@link FitCheckpoints} needs from the fit it serves. */
interface FitCheckpointsContext {
  /** Checkpoint folder (no checkpoints when undefined). */
  readonly dir: string | undefined;
  readonly keepLast: number;
  readonly model: TrainerModel;
  readonly runner: TrainStepRunner;
  readonly position: FitPosition;
  readonly callbacks: readonly TrainerCallbacks[];
  readonly log: ((line: string) => void) | undefined;
  /** `trainer_state.json` for the current step and position. */
  readonly state: () => TrainerStateJson;
}

/**
 * The checkpoints of one `Trainer.fit`: writes `checkpoint-<step>` (weights, optimizer state,
 * trainer state), skips a write when nothing changed since the last one, keeps the best
 * checkpoint's name, prunes to the last K (never the best) and runs `onCheckpoint`.
 *
 * @example
 * ```ts
 * const ckpts = new FitCheckpoints(ctx, null);
 * const stop = await ckpts.save(true); // a new best; true when a callback asked to stop
 * ```
 */
export class FitCheckpoints {
  /** Folder name of the best checkpoint so far (`checkpoint-<step>`), or null. */
  bestCheckpoint: string | null;
  /** Path of the last checkpoint written by this fit. */
  lastCheckpoint: string | undefined;
  readonly #ctx: FitCheckpointsContext;
  #lastSavedKey = "";

  constructor(ctx: FitCheckpointsContext, bestCheckpoint: string | null) {
    this.#ctx = ctx;
    this.bestCheckpoint = bestCheckpoint;
  }

  /** Saves the current state (marking it best when `isBest`); true when a callback asks to stop. */
  async save(isBest: boolean): Promise<boolean> {
    const { dir, runner, position: pos } = this.#ctx;
    if (dir === undefined) return false;
    const name = checkpointName(runner.stepCount);
    if (isBest) this.bestCheckpoint = name;
    const key = `${runner.stepCount}:${pos.epoch}:${pos.batchInEpoch}:${this.bestCheckpoint}`;
    if (key === this.#lastSavedKey) return false; // nothing changed since the last save
    const path = join(dir, name);
    await runner.syncToHost(); // parameters and optimizer state kept on a device come home first
    const rs = runner.getState();
    await saveTrainingCheckpoint(path, {
      model: this.#ctx.model,
      optimizer: rs.optimizer,
      accumulators: rs.accumulators,
      optimizerConfig: rs.optimizerConfig,
      state: this.#ctx.state(),
      beforeCommit: async (tmpDir) => {
        for (const c of this.#ctx.callbacks)
          await c.onCheckpointWrite?.({ step: runner.stepCount, dir: tmpDir });
      },
    });
    this.#lastSavedKey = key;
    this.lastCheckpoint = path;
    await pruneCheckpoints(dir, this.#ctx.keepLast, this.bestCheckpoint);
    this.#ctx.log?.(`checkpoint ${path}${isBest ? " (best)" : ""}`);
    return runHooks(this.#ctx.callbacks, "onCheckpoint", { step: runner.stepCount, path, isBest });
  }
}
