import { TunekitError } from "../errors.js";

/**
 * A learning-rate schedule: the learning rate to feed for an update, as a function of the
 * number of updates already done (`0` for the first update), like a PyTorch `LambdaLR`
 * driven by the Hugging Face Trainer (which calls `scheduler.step()` after each update).
 *
 * @example
 * ```ts
 * const schedule: LrSchedule = linearWarmupSchedule({ lr: 5e-5, warmupSteps: 10, totalSteps: 100 });
 * const lr = schedule(0); // 0 during the first update, as in Hugging Face
 * ```
 */
export type LrSchedule = (completedSteps: number) => number;

/**
 * JSON-able description of a schedule; see {@link scheduleFromConfig}.
 *
 * @example
 * ```ts
 * const c: ScheduleConfig = { type: "cosine", lr: 2e-5, warmupSteps: 50, totalSteps: 1000 };
 * ```
 */
export type ScheduleConfig =
  | { readonly type: "constant"; readonly lr: number; readonly warmupSteps?: number }
  | {
      readonly type: "linear";
      readonly lr: number;
      readonly warmupSteps: number;
      readonly totalSteps: number;
    }
  | {
      readonly type: "cosine";
      readonly lr: number;
      readonly warmupSteps: number;
      readonly totalSteps: number;
      readonly numCycles?: number;
    };

function check(name: string, key: string, v: number, integer: boolean): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${name} schedule: ${key} must be a non-negative ${integer ? "integer" : "number"}, got ${String(v)}`,
    );
  }
  return v;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `schedule: step must be a non-negative integer (updates done so far), got ${String(step)}`,
    );
  }
}

/**
 * A constant learning rate, optionally after a linear warm-up from 0 over `warmupSteps`
 * (Hugging Face `get_constant_schedule[_with_warmup]`).
 *
 * @example
 * ```ts
 * constantSchedule({ lr: 1e-3 })(500); // 1e-3
 * ```
 */
export function constantSchedule(opts: { lr: number; warmupSteps?: number }): LrSchedule {
  const lr = check("constant", "lr", opts.lr, false);
  const warmup = check("constant", "warmupSteps", opts.warmupSteps ?? 0, true);
  return (step) => {
    checkStep(step);
    return step < warmup ? (lr * step) / Math.max(1, warmup) : lr;
  };
}

/**
 * Linear warm-up from 0 to `lr` over `warmupSteps`, then linear decay to 0 at `totalSteps`
 * (Hugging Face `get_linear_schedule_with_warmup`).
 *
 * @example
 * ```ts
 * const s = linearWarmupSchedule({ lr: 1, warmupSteps: 10, totalSteps: 110 });
 * s(5); // 0.5
 * s(60); // 0.5
 * ```
 */
export function linearWarmupSchedule(opts: {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
}): LrSchedule {
  const lr = check("linear", "lr", opts.lr, false);
  const warmup = check("linear", "warmupSteps", opts.warmupSteps, true);
  const total = check("linear", "totalSteps", opts.totalSteps, true);
  return (step) => {
    checkStep(step);
    if (step < warmup) return (lr * step) / Math.max(1, warmup);
    return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
  };
}

/**
 * Linear warm-up from 0 to `lr` over `warmupSteps`, then cosine decay following
 * `numCycles` (default 0.5: from `lr` down to 0 at `totalSteps`) (Hugging Face
 * `get_cosine_schedule_with_warmup`).
 *
 * @example
 * ```ts
 * const s = cosineWarmupSchedule({ lr: 1, warmupSteps: 0, totalSteps: 100 });
 * s(50); // 0.5
 * ```
 */
export function cosineWarmupSchedule(opts: {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  numCycles?: number;
}): LrSchedule {
  const lr = check("cosine", "lr", opts.lr, false);
  const warmup = check("cosine", "warmupSteps", opts.warmupSteps, true);
  const total = check("cosine", "totalSteps", opts.totalSteps, true);
  const cycles = check("cosine", "numCycles", opts.numCycles ?? 0.5, false);
  return (step) => {
    checkStep(step);
    if (step < warmup) return (lr * step) / Math.max(1, warmup);
    const progress = (step - warmup) / Math.max(1, total - warmup);
    return lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
  };
}

/**
 * Builds the schedule a {@link ScheduleConfig} describes.
 *
 * @example
 * ```ts
 * const s = scheduleFromConfig({ type: "linear", lr: 5e-5, warmupSteps: 0, totalSteps: 100 });
 * s(0); // 5e-5
 * ```
 */
export function scheduleFromConfig(config: ScheduleConfig): LrSchedule {
  switch (config.type) {
    case "constant":
      return constantSchedule(config);
    case "linear":
      return linearWarmupSchedule(config);
    case "cosine":
      return cosineWarmupSchedule(config);
    default:
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `schedule: unknown type ${JSON.stringify((config as { type?: unknown }).type)}; expected "constant", "linear" or "cosine"`,
      );
  }
}
