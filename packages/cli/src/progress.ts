import type { TrainerProgress } from "@tunekit/core/trainer";
import type { CliIo } from "./cli-io.js";

/**
 * Renders training progress on stderr: an animated one-line bar (step, loss, throughput,
 * ETA) on a terminal, plain log lines every `logEvery` steps otherwise.
 *
 * @example
 * ```ts
 * const progress = new ProgressRenderer(io, { logEvery: 20 });
 * trainerOptions.onProgress = (p) => progress.update(p);
 * progress.line("eval step 100 accuracy 0.81"); // printed above the bar
 * progress.finish();
 * ```
 */
export class ProgressRenderer {
  private readonly io: CliIo;
  private readonly logEvery: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private barShown = false;
  private last: TrainerProgress | undefined;
  private first: { readonly step: number; readonly elapsed: number } | undefined;

  constructor(io: CliIo, options: { readonly logEvery?: number } = {}) {
    this.io = io;
    this.logEvery = options.logEvery ?? 10;
    this.now = io.now ?? (() => performance.now());
  }

  /** Shows progress after an update (throttled to 10 redraws a second on a terminal). */
  update(progress: TrainerProgress): void {
    const p = this.withSteadyEta(progress);
    this.last = p;
    const final = p.step >= p.totalSteps;
    if (this.io.isTTY) {
      const t = this.now();
      if (!final && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      this.io.stderr(`\r${progressBar(p, this.io.columns ?? 80)}\x1b[K`);
      this.barShown = true;
      return;
    }
    if (p.step % this.logEvery === 0 || final || p.step === 1) this.io.stderr(`${progressLine(p)}\n`);
  }

  /**
   * The first update includes compiling the step graph, which makes the Trainer's ETA (time
   * per step so far) far too long early on; estimate from the updates after the first.
   */
  private withSteadyEta(p: TrainerProgress): TrainerProgress {
    if (this.first === undefined || p.step <= this.first.step) {
      this.first = { step: p.step, elapsed: p.elapsedSeconds };
      return p;
    }
    const perStep = (p.elapsedSeconds - this.first.elapsed) / (p.step - this.first.step);
    return { ...p, etaSeconds: perStep * Math.max(0, p.totalSteps - p.step) };
  }

  /** Prints a line without breaking the bar (the bar is redrawn below it). */
  line(text: string): void {
    if (this.io.isTTY && this.barShown) {
      this.io.stderr(`\r\x1b[K${text}\n`);
      if (this.last !== undefined) this.io.stderr(progressBar(this.last, this.io.columns ?? 80));
      return;
    }
    this.io.stderr(`${text}\n`);
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.io.isTTY && this.barShown) this.io.stderr("\n");
    this.barShown = false;
  }
}

/**
 * One plain progress line.
 *
 * @example
 * ```ts
 * progressLine(p); // "step 20/200 (10%) epoch 1/1 loss 0.6812 lr 9.0e-4 | 180.3 ex/s 2.9k tok/s | eta 58s"
 * ```
 */
export function progressLine(p: TrainerProgress): string {
  const pct = p.totalSteps > 0 ? Math.floor((100 * p.step) / p.totalSteps) : 0;
  return (
    `step ${p.step}/${p.totalSteps} (${pct}%) epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)} ` +
    `lr ${p.lr.toExponential(1)} | ${p.examplesPerSecond.toFixed(1)} ex/s ${compact(p.tokensPerSecond)} tok/s | ` +
    `eta ${formatDuration(p.etaSeconds)}`
  );
}

/**
 * The terminal bar: `[=====>    ] 120/500 loss 0.6543 | 312 ex/s | eta 1m12s`, fit to `columns`.
 *
 * @example
 * ```ts
 * progressBar(p, 80);
 * ```
 */
export function progressBar(p: TrainerProgress, terminalColumns: number): string {
  const columns = terminalColumns >= 40 ? terminalColumns : 80; // unknown or tiny widths: assume 80
  const tail =
    ` ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} | ${p.examplesPerSecond.toFixed(1)} ex/s ` +
    `${compact(p.tokensPerSecond)} tok/s | eta ${formatDuration(p.etaSeconds)}`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 3));
  const frac = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(frac * width);
  const bar = filled >= width ? "=".repeat(width) : `${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}`;
  return `[${bar}]${tail}`.slice(0, Math.max(columns - 1, 20));
}

/**
 * Seconds as `45s`, `3m05s` or `1h02m`; `?` when unknown.
 *
 * @example
 * ```ts
 * formatDuration(185); // "3m05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function compact(n: number): string {
  if (!Number.isFinite(n)) return "?";
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}
