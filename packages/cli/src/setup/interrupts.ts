import { constants } from "node:os";

/** The signals a training run handles. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * One of {@link STOP_SIGNALS}.
 *
 * @example
 * ```ts
 * const sig: StopSignal = "SIGINT";
 * ```
 */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Where signals come from (`process`, or a test's emitter).
 *
 * @example
 * ```ts
 * const source: SignalSource = process;
 * ```
 */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/**
 * Options of {@link InterruptGuard}.
 *
 * @example
 * ```ts
 * const o: InterruptGuardOptions = { note: (l) => process.stderr.write(`${l}\n`), exit: (code) => process.exit(code) };
 * ```
 */
export interface InterruptGuardOptions {
  readonly note: (line: string) => void;
  /** Ends the process at once (a second signal, or a signal before training starts). */
  readonly exit: (code: number) => void;
  /** Runs before `exit` (e.g. removing the run lock). */
  readonly beforeExit?: () => void;
  /** Default `process`. */
  readonly signals?: SignalSource;
}

/**
 * The exit code of a run ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
 *
 * @example
 * ```ts
 * signalExitCode("SIGINT"); // 130
 * ```
 */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Turns SIGINT / SIGTERM into a graceful stop of a training run. While training
 * ({@link InterruptGuard.training}), the first signal calls `stop()` (the Trainer ends after
 * the current update and writes a checkpoint) and says so; a second one exits at once.
 * Before training starts there is nothing to save: a signal exits at once. While the final
 * files are written ({@link InterruptGuard.finishing}) the first signal only says that the
 * run is finishing.
 *
 * @example
 * ```ts
 * const guard = new InterruptGuard({ note, exit: (c) => process.exit(c) });
 * guard.training(trainer);
 * const fit = await trainer.fit(train);
 * if (guard.received) console.error(`stopped by ${guard.received}`);
 * guard.dispose();
 * ```
 */
export class InterruptGuard {
  /** The first signal received, if any. */
  received: StopSignal | undefined;
  readonly #o: InterruptGuardOptions;
  readonly #signals: SignalSource;
  readonly #listeners: [StopSignal, () => void][];
  #phase: "setup" | "training" | "finishing" = "setup";
  #target: { stop(): void } | undefined;

  constructor(o: InterruptGuardOptions) {
    this.#o = o;
    this.#signals = o.signals ?? process;
    this.#listeners = STOP_SIGNALS.map((s) => [s, () => this.#on(s)]);
    for (const [s, l] of this.#listeners) this.#signals.on(s, l);
  }

  /** Training has started: a signal now stops `target` at the next step boundary. */
  training(target: { stop(): void }): void {
    this.#phase = "training";
    this.#target = target;
    if (this.received !== undefined) target.stop();
  }

  /** Training is over; the final files are being written. */
  finishing(): void {
    this.#phase = "finishing";
  }

  /** Removes the signal handlers (the default behaviour returns). */
  dispose(): void {
    for (const [s, l] of this.#listeners) this.#signals.off(s, l);
  }

  #on(signal: StopSignal): void {
    const first = this.received === undefined;
    this.received ??= signal;
    if (this.#phase === "setup" || !first) {
      this.#o.note(
        this.#phase === "setup"
          ? `\n${signal}: exiting before training started (nothing to save)`
          : `\n${signal} again: exiting at once; the last complete checkpoint is kept (continue with --resume)`,
      );
      this.#o.beforeExit?.();
      this.#o.exit(signalExitCode(signal));
      return;
    }
    if (this.#phase === "finishing") {
      this.#o.note(
        `\n${signal}: training is over and the final files are being written; press Ctrl-C again to exit at once`,
      );
      return;
    }
    this.#o.note(
      `\n${signal}: stopping after the current step and saving a checkpoint (press Ctrl-C again to exit at once)`,
    );
    this.#target?.stop();
  }
}
