/**
 * What a callback sees after an optimizer update.
 *
 * @example
 * ```ts
 * const onStep = (s: StepInfo) => console.log(s.step, s.loss, s.lr);
 * ```
 */
export interface StepInfo {
  /** Updates done (1 after the first). */
  readonly step: number;
  /** 0-based epoch the update belongs to. */
  readonly epoch: number;
  /** Mean loss of the update's micro-batches. */
  readonly loss: number;
  /** Learning rate fed to this update. */
  readonly lr: number;
  /** Global gradient norm before clipping (when `clipNorm` is set). */
  readonly gradNorm?: number;
}

/**
 * What `evaluate` returns and `onEvaluate` sees: mean loss, metrics by name, rows scored
 * and the step it ran at (0 outside `fit`).
 *
 * @example
 * ```ts
 * const { loss, metrics } = await trainer.evaluate(validation);
 * metrics.accuracy;
 * ```
 */
export interface EvaluationResult {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly numExamples: number;
  /**
   * Classification and token classification: `confusion[true][predicted]` counts (rows, or
   * labelled tokens); see `reportFromConfusion` for per-class scores. Set by `Trainer.evaluate`,
   * not in `fit`'s evaluations (they are kept in checkpoints).
   */
  readonly confusion?: readonly (readonly number[])[];
}

/**
 * What `onEpochEnd` sees.
 *
 * @example
 * ```ts
 * const onEpochEnd = (e: EpochInfo) => console.log(`epoch ${e.epoch} mean loss ${e.meanLoss}`);
 * ```
 */
export interface EpochInfo {
  readonly epoch: number;
  readonly step: number;
  /** Mean loss of the epoch's updates run in this process. */
  readonly meanLoss: number;
}

/**
 * What `onCheckpoint` sees.
 *
 * @example
 * ```ts
 * const onCheckpoint = (c: CheckpointInfo) => console.log(`saved ${c.path}`);
 * ```
 */
export interface CheckpointInfo {
  readonly step: number;
  readonly path: string;
  readonly isBest: boolean;
}

/**
 * A callback's answer: return `"stop"` to end training after the current update
 * (the state is consistent: a final checkpoint is written when checkpoints are on).
 *
 * @example
 * ```ts
 * const onStep = (s: StepInfo): CallbackSignal => (s.loss < 0.01 ? "stop" : undefined);
 * ```
 */
export type CallbackSignal = "stop" | undefined;

/**
 * One {@link TrainerCallbacks} hook: called with `info`; return (or resolve to) `"stop"` to end
 * training, any other value continues.
 *
 * @example
 * ```ts
 * const onStep: TrainerHook<StepInfo> = (s) => (s.step >= 100 ? "stop" : undefined);
 * ```
 */
export type TrainerHook<T> = (info: T) => unknown;

/**
 * What `onCheckpointWrite` sees: the step and the unfinished checkpoint folder. Files a hook
 * writes into `dir` become part of the checkpoint in the same atomic rename as the weights
 * (a crash leaves the checkpoint with them or no checkpoint at all).
 *
 * @example
 * ```ts
 * const onCheckpointWrite = (w: CheckpointWriteInfo) => writeFile(join(w.dir, "notes.json"), "{}");
 * ```
 */
export interface CheckpointWriteInfo {
  readonly step: number;
  readonly dir: string;
}

/**
 * Hooks called during `fit`, in this order per update: `onStep`, then (when due)
 * `onEvaluate`, `onCheckpointWrite` (while the checkpoint is written), `onCheckpoint`, and at
 * an epoch end `onEpochEnd`; `onTrainEnd` last. Any hook except `onCheckpointWrite` and
 * `onTrainEnd` may return `"stop"`.
 *
 * @example
 * ```ts
 * const callbacks: TrainerCallbacks = { onEvaluate: (e) => (e.metrics.accuracy! > 0.95 ? "stop" : undefined) };
 * ```
 */
export interface TrainerCallbacks {
  readonly onStep?: TrainerHook<StepInfo>;
  readonly onEvaluate?: TrainerHook<EvaluationResult>;
  readonly onCheckpoint?: TrainerHook<CheckpointInfo>;
  /** While a checkpoint is written, before it is committed: add files to it (its return value is ignored). */
  readonly onCheckpointWrite?: (info: CheckpointWriteInfo) => unknown;
  readonly onEpochEnd?: TrainerHook<EpochInfo>;
  readonly onTrainEnd?: (result: {
    readonly step: number;
    readonly stopReason: StopReason;
  }) => void | Promise<void>;
}

/**
 * Why `fit` ended (`stopped`: {@link Trainer.stop} was called, e.g. on Ctrl-C).
 *
 * @example
 * ```ts
 * if (result.stopReason === "early-stopping") console.log("no improvement");
 * ```
 */
export type StopReason = "max-steps" | "epochs" | "early-stopping" | "callback" | "stopped";

/**
 * Calls `hook` of every callback set in order; true when one asked to stop.
 *
 * @example
 * ```ts
 * const stop = await runHooks(callbacks, "onStep", info);
 * ```
 */
export async function runHooks<K extends "onStep" | "onEvaluate" | "onCheckpoint" | "onEpochEnd">(
  callbacks: readonly TrainerCallbacks[],
  hook: K,
  info: Parameters<NonNullable<TrainerCallbacks[K]>>[0],
): Promise<boolean> {
  let stop = false;
  for (const c of callbacks) {
    const fn = c[hook] as TrainerHook<typeof info> | undefined;
    if (fn !== undefined && (await fn(info)) === "stop") stop = true;
  }
  return stop;
}
