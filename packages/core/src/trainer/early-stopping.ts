/**
 * Tracks the best value of a metric and how many evaluations in a row did not improve it
 * by more than `minDelta`. Its state is plain JSON (kept in checkpoints).
 *
 * @example
 * ```ts
 * const es = new MetricTracker("max", 0.001);
 * es.update(0.8); // true (first value is an improvement)
 * es.update(0.8005); // false; es.sinceBest === 1
 * ```
 */
export class MetricTracker {
  best: number | undefined = undefined;
  bestStep: number | undefined = undefined;
  sinceBest = 0;

  constructor(
    readonly mode: "max" | "min",
    readonly minDelta = 0,
  ) {}

  /**
   * Records `value` (at `step`); returns whether it improved on the best. NaN and ±Infinity
   * never improve (an evaluation of a diverged model is never the best).
   */
  update(value: number, step = 0): boolean {
    const improved =
      Number.isFinite(value) &&
      (this.best === undefined ||
        (this.mode === "max" ? value > this.best + this.minDelta : value < this.best - this.minDelta));
    if (improved) {
      this.best = value;
      this.bestStep = step;
      this.sinceBest = 0;
    } else {
      this.sinceBest++;
    }
    return improved;
  }

  /** JSON state. */
  toJSON(): { best: number | null; bestStep: number | null; sinceBest: number } {
    return { best: this.best ?? null, bestStep: this.bestStep ?? null, sinceBest: this.sinceBest };
  }

  /** Restores {@link toJSON}'s state. */
  restore(s: { best: number | null; bestStep: number | null; sinceBest: number }): void {
    this.best = s.best ?? undefined;
    this.bestStep = s.bestStep ?? undefined;
    this.sinceBest = s.sinceBest;
  }
}
