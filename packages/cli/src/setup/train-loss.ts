import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrainerCallbacks } from "@tunekit/core";
import { listCheckpoints } from "@tunekit/core/trainer";
import { writeFileAtomic } from "@tunekit/core/io";

/**
 * File the CLI adds to each checkpoint folder (in the same atomic write as the weights): the
 * training loss sum and count up to that step.
 */
export const TRAIN_LOSS_FILE = "tunekit-train-loss.json";

interface LossTotals {
  readonly sum: number;
  readonly count: number;
}

/**
 * The mean training loss of a whole run across `--resume`s. `Trainer.fit` reports the mean
 * of the updates of one call only; this ledger continues the totals saved in the checkpoint a
 * run resumed from ({@link TRAIN_LOSS_FILE}, written into every checkpoint by
 * `onCheckpointWrite`). The sum continues from the saved one, adding each loss in step order,
 * so a resumed run's mean equals an uninterrupted run's bit for bit.
 *
 * @example
 * ```ts
 * const ledger = await TrainLossLedger.open("runs/x/checkpoints", true);
 * const fit = await new Trainer({ ...options, callbacks: [ledger.callbacks()] }).fit(train, { resumeFrom: "latest" });
 * const { mean } = ledger.mean(fit.resumedFrom?.step);
 * ```
 */
export class TrainLossLedger {
  /** Sum of this call's losses. */
  #sum = 0;
  /** The base sum plus this call's losses, added in step order (undefined: no base). */
  #runSum: number | undefined = 0;
  #count = 0;
  /** Totals saved in the checkpoint resumed from (zero for a new run; undefined: none saved). */
  #base: LossTotals | undefined = { sum: 0, count: 0 };
  #baseLoaded: boolean;
  /** Totals of each checkpoint found before training, by step (read before `fit` rewrites any). */
  readonly #saved: ReadonlyMap<number, LossTotals>;

  private constructor(resuming: boolean, saved: ReadonlyMap<number, LossTotals>) {
    this.#baseLoaded = !resuming;
    this.#saved = saved;
  }

  /**
   * A ledger for a run writing checkpoints to `checkpointDir`; when `resuming`, the totals of
   * the checkpoints there are read now (the resumed one is known at the first update).
   */
  static async open(checkpointDir: string, resuming: boolean): Promise<TrainLossLedger> {
    const saved = new Map<number, LossTotals>();
    if (resuming) {
      for (const c of await listCheckpoints(checkpointDir)) {
        const totals = await readTotals(c.path);
        if (totals !== undefined) saved.set(c.step, totals);
      }
    }
    return new TrainLossLedger(resuming, saved);
  }

  /** Hooks that count every update's loss and save the run's totals into each checkpoint. */
  callbacks(): TrainerCallbacks {
    return {
      onStep: async (s) => {
        this.#loadBase(s.step - 1 - this.#count);
        this.#sum += s.loss;
        if (this.#runSum !== undefined) this.#runSum += s.loss;
        this.#count++;
        return undefined;
      },
      onCheckpointWrite: async (c) => {
        this.#loadBase(c.step - this.#count);
        const totals = this.#totals();
        if (totals !== undefined)
          await writeFileAtomic(join(c.dir, TRAIN_LOSS_FILE), `${JSON.stringify(totals)}\n`);
      },
    };
  }

  /**
   * The run's mean training loss; `partial` when the checkpoint resumed from (at step
   * `resumedStep`) holds no totals (written by an older version): the mean then covers this
   * call only.
   */
  mean(resumedStep: number | undefined): { readonly mean: number; readonly partial: boolean } {
    if (resumedStep !== undefined) this.#loadBase(resumedStep);
    const totals = this.#totals();
    if (totals !== undefined)
      return { mean: totals.count ? totals.sum / totals.count : Number.NaN, partial: false };
    return { mean: this.#count ? this.#sum / this.#count : Number.NaN, partial: true };
  }

  /** Takes the totals of the checkpoint at `resumedStep` (the updates before this call's first). */
  #loadBase(resumedStep: number): void {
    if (this.#baseLoaded) return;
    this.#baseLoaded = true;
    this.#base = this.#saved.get(resumedStep);
    this.#runSum = this.#base === undefined ? undefined : this.#base.sum + this.#sum;
  }

  #totals(): LossTotals | undefined {
    if (!this.#baseLoaded || this.#base === undefined) return undefined;
    return { sum: this.#runSum ?? this.#base.sum + this.#sum, count: this.#base.count + this.#count };
  }
}

async function readTotals(folder: string): Promise<LossTotals | undefined> {
  try {
    const v = JSON.parse(await readFile(join(folder, TRAIN_LOSS_FILE), "utf8")) as Partial<LossTotals>;
    return typeof v.sum === "number" && typeof v.count === "number" && v.count >= 0
      ? { sum: v.sum, count: v.count }
      : undefined;
  } catch {
    return undefined;
  }
}
