/**
 * Progress after an update, for progress bars and logs. Throughput counts the real
 * (unpadded) tokens and rows trained since `fit` started in this process.
 *
 * @example
 * ```ts
 * const onProgress = (p: TrainerProgress) => bar.update(p.step / p.totalSteps, { eta: p.etaSeconds });
 * ```
 */
export interface TrainerProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly lr: number;
  readonly tokensPerSecond: number;
  readonly examplesPerSecond: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number;
}

/**
 * Measures throughput and estimates the time left.
 *
 * @example
 * ```ts
 * const meter = new ProgressMeter(0, 100);
 * meter.add(512, 16);
 * const p = meter.progress({ step: 1, epoch: 0, epochs: 3, loss: 0.7, lr: 5e-5 });
 * ```
 */
export class ProgressMeter {
  private readonly start: number;
  private tokens = 0;
  private examples = 0;

  constructor(
    private readonly startStep: number,
    private readonly totalSteps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
  }

  /** Counts a trained micro-batch. */
  add(tokens: number, examples: number): void {
    this.tokens += tokens;
    this.examples += examples;
  }

  /** Progress at `step`. */
  progress(at: { step: number; epoch: number; epochs: number; loss: number; lr: number }): TrainerProgress {
    const elapsed = Math.max(1e-9, (this.now() - this.start) / 1000);
    const done = at.step - this.startStep;
    const eta = done > 0 ? (elapsed / done) * Math.max(0, this.totalSteps - at.step) : Number.NaN;
    return {
      ...at,
      totalSteps: this.totalSteps,
      tokensPerSecond: this.tokens / elapsed,
      examplesPerSecond: this.examples / elapsed,
      elapsedSeconds: elapsed,
      etaSeconds: eta,
    };
  }
}

/**
 * One log line for a progress record.
 *
 * @example
 * ```ts
 * formatProgress(p); // "step 10/100 epoch 1/3 loss 0.6931 lr 5.00e-5 1234 tok/s 56.0 ex/s eta 12s"
 * ```
 */
export function formatProgress(p: TrainerProgress): string {
  const eta = Number.isFinite(p.etaSeconds) ? `${Math.round(p.etaSeconds)}s` : "?";
  return (
    `step ${p.step}/${p.totalSteps} epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)} ` +
    `lr ${p.lr.toExponential(2)} ${Math.round(p.tokensPerSecond)} tok/s ` +
    `${p.examplesPerSecond.toFixed(1)} ex/s eta ${eta}`
  );
}
