import { configHash } from "../checkpoint/config-hash.js";
import type { OptimizerConfig } from "../optim/optimizer.js";
import {
  constantSchedule,
  cosineWarmupSchedule,
  type LrSchedule,
  linearWarmupSchedule,
} from "../optim/schedules.js";
import type { PaddingStrategy } from "../data/padding.js";
import type { StopReason } from "./trainer-callbacks.js";
import { MixtureSource } from "./task-mixture.js";
import { epochBatches } from "./trainer-data.js";
import type { TrainerData, TrainerTask } from "./trainer-model.js";
import { invalidOption, type TrainerOptions } from "./trainer-options.js";

/**
 * Everything `fit` derives from the options and the training data before the first step:
 * the batch plan of an epoch, updates per epoch, total updates, the schedule, and the
 * options hashed into checkpoints (a resume must match them to continue exactly).
 *
 * @example
 * ```ts
 * const plan = planFit(options, adamw().config, train, "classification");
 * plan.totalSteps; // min(maxSteps, epochs × updatesPerEpoch)
 * ```
 */
export interface FitPlan {
  readonly accumulation: number;
  readonly seed: number;
  readonly padding: PaddingStrategy;
  /** Row indices of each micro-batch of `epoch`. */
  readonly batches: (epoch: number) => Int32Array[];
  readonly updatesPerEpoch: number;
  readonly totalSteps: number;
  /** Why training ends when it reaches `totalSteps`. */
  readonly limitReason: StopReason;
  readonly epochs: number;
  readonly schedule: LrSchedule;
  readonly scheduleName: string;
  readonly hashed: Record<string, unknown>;
  readonly hash: string;
}

/**
 * Builds the {@link FitPlan}; throws `INVALID_ARGUMENT` when an epoch has fewer batches than
 * `gradientAccumulation`.
 *
 * @example
 * ```ts
 * const { totalSteps, schedule } = planFit(options, optimizer.config, train, task);
 * ```
 */
export function planFit(
  o: TrainerOptions,
  optimizer: OptimizerConfig,
  train: TrainerData | MixtureSource,
  task: TrainerTask | "multi-task",
): FitPlan {
  const k = o.gradientAccumulation ?? 1;
  const seed = o.seed ?? 42;
  const lastBatch = o.lastBatch ?? "keep";
  const bucketing = o.bucketing ?? false;
  const padding = o.padding ?? "longest";
  const sampling = o.sampling ?? "shuffle";
  const mixture = train instanceof MixtureSource ? train : undefined;
  if (mixture !== undefined && sampling !== "shuffle") {
    invalidOption(
      "sampling",
      sampling,
      '"shuffle" with a task mixture (its tasks are sampled by the mixture)',
    );
  }
  if (mixture !== undefined && bucketing !== false) {
    invalidOption(
      "bucketing",
      bucketing,
      "false with a task mixture (its batches are sampled, not planned by length)",
    );
  }
  const rows = mixture ? mixture.rows : (train as TrainerData).lengths.length;
  const perEpoch = mixture
    ? mixture.batchesPerEpoch(o.batchSize)
    : epochBatches(train as TrainerData, {
        batchSize: o.batchSize,
        seed,
        epoch: 0,
        lastBatch,
        bucketing,
        sampling,
      }).length;
  const updatesPerEpoch = Math.floor(perEpoch / k);
  if (updatesPerEpoch < 1) {
    invalidOption(
      "gradientAccumulation",
      k,
      `at most ${perEpoch} (the batches per epoch of ${rows} rows at batchSize ${o.batchSize})`,
    );
  }
  const byEpochs = (o.epochs ?? Number.POSITIVE_INFINITY) * updatesPerEpoch;
  const totalSteps = Math.min(o.maxSteps ?? Number.POSITIVE_INFINITY, byEpochs);
  const limitReason: StopReason = o.maxSteps !== undefined && o.maxSteps <= byEpochs ? "max-steps" : "epochs";
  const lr = o.lr ?? 5e-5;
  const warmupSteps = o.warmupSteps ?? Math.ceil((o.warmupRatio ?? 0) * totalSteps);
  const scheduleName = typeof o.schedule === "function" ? "custom" : (o.schedule ?? "linear");
  const schedule: LrSchedule =
    typeof o.schedule === "function"
      ? o.schedule
      : scheduleName === "constant"
        ? constantSchedule({ lr, warmupSteps })
        : scheduleName === "cosine"
          ? cosineWarmupSchedule({ lr, warmupSteps, totalSteps })
          : linearWarmupSchedule({ lr, warmupSteps, totalSteps });
  let trainTokens = 0;
  if (mixture) trainTokens = mixture.tokens;
  else for (const n of (train as TrainerData).lengths) trainTokens += n;
  const epochs = Math.ceil(totalSteps / updatesPerEpoch);
  const batches = (epoch: number): Int32Array[] =>
    mixture
      ? mixture.epochBatches({ batchSize: o.batchSize, seed, epoch, epochs })
      : epochBatches(train as TrainerData, {
          batchSize: o.batchSize,
          seed,
          epoch,
          lastBatch,
          bucketing,
          sampling,
        });
  const hashed: Record<string, unknown> = {
    task,
    batchSize: o.batchSize,
    gradientAccumulation: k,
    seed,
    dropout: o.dropout ?? true,
    clipNorm: o.clipNorm ?? null,
    optimizer,
    lr,
    schedule: scheduleName,
    warmupSteps,
    totalSteps,
    padding,
    bucketing,
    lastBatch,
    trainRows: rows,
    trainTokens,
    ...(mixture ? { mixture: mixture.hashed() } : {}),
    // only when set, so the hashes of runs without them stay as they were
    ...(sampling === "shuffle" ? {} : { sampling }),
    ...(o.classWeights === undefined ? {} : { classWeights: [...o.classWeights] }),
  };
  return {
    accumulation: k,
    seed,
    padding,
    batches,
    updatesPerEpoch,
    totalSteps,
    limitReason,
    epochs,
    schedule,
    scheduleName,
    hashed,
    hash: configHash(hashed),
  };
}
