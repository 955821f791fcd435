import { type ClassWeightsSpec, parseClassWeights } from "./class-balance.js";
import type { ConfigValidator } from "./validate.js";

/**
 * Hyper-parameters of `tunekit train`.
 *
 * @example
 * ```ts
 * const t: TrainingSpec = { lr: 1e-3, epochs: 1, batchSize: 32, maxLength: 64, schedule: "linear", weightDecay: 0.01, gradientAccumulation: 1, seed: 42, dropout: true };
 * ```
 */
export interface TrainingSpec {
  readonly lr: number;
  readonly epochs?: number;
  readonly maxSteps?: number;
  readonly batchSize: number;
  readonly evalBatchSize?: number;
  readonly maxLength: number;
  readonly warmupSteps?: number;
  readonly warmupRatio?: number;
  readonly schedule: "constant" | "linear" | "cosine";
  readonly weightDecay: number;
  readonly clipNorm?: number;
  readonly gradientAccumulation: number;
  /** AdamW in place on the host (the Trainer's `optimizerOnHost`): lower peak memory. */
  readonly optimizerOnHost?: boolean;
  /** With `optimizerOnHost`: threads sharing the host update. */
  readonly hostThreads?: number;
  /** Evaluate every N updates (and at epoch ends), at epoch ends (`"epoch"`, default) or `"never"` during training. */
  readonly evalEvery?: number | "epoch" | "never";
  /** Also write a checkpoint every N updates (besides epoch ends). */
  readonly checkpointEvery?: number;
  readonly classWeights?: ClassWeightsSpec;
  /** `"balanced"`: oversample every class to the largest in each epoch. */
  readonly sampling?: "shuffle" | "balanced";
  readonly earlyStopping?: {
    readonly patience: number;
    readonly metric?: string;
    readonly mode?: "max" | "min";
    readonly minDelta?: number;
  };
  readonly metricForBest?: string;
  readonly seed: number;
  readonly dropout: boolean;
}

const TRAINING_KEYS = [
  "lr",
  "epochs",
  "maxSteps",
  "batchSize",
  "evalBatchSize",
  "maxLength",
  "warmupSteps",
  "warmupRatio",
  "schedule",
  "weightDecay",
  "clipNorm",
  "gradientAccumulation",
  "optimizerOnHost",
  "hostThreads",
  "evalEvery",
  "checkpointEvery",
  "classWeights",
  "sampling",
  "earlyStopping",
  "metricForBest",
  "seed",
  "dropout",
];

/**
 * Parses the `training` block of a train config; every error names the key path.
 *
 * @example
 * ```ts
 * const training = parseTraining(new ConfigValidator("train.json"), { epochs: 1, lr: 1e-3 });
 * ```
 */
export function parseTraining(v: ConfigValidator, t: Record<string, unknown>): TrainingSpec {
  v.knownKeys("training", t, TRAINING_KEYS);
  const epochs = v.positiveInt("training.epochs", t.epochs, true, 3);
  const maxSteps = v.positiveInt("training.maxSteps", t.maxSteps, true, 1000);
  if (epochs === undefined && maxSteps === undefined) {
    v.fail(
      "training.epochs",
      undefined,
      "training.epochs (e.g. 3) or training.maxSteps (e.g. 1000), or both",
    );
  }
  const opt = <T>(key: string, value: T | undefined): Record<string, T> =>
    value === undefined ? {} : { [key]: value };
  const warmupSteps = v.number(
    "training.warmupSteps",
    t.warmupSteps,
    { integer: true, min: 0, example: 100 },
    true,
  );
  const warmupRatio = v.number("training.warmupRatio", t.warmupRatio, { min: 0, max: 1, example: 0.1 }, true);
  if (warmupSteps !== undefined && warmupRatio !== undefined) {
    v.fail(
      "training.warmupRatio",
      warmupRatio,
      "to be left out when training.warmupSteps is given (use one)",
    );
  }
  const clipNorm = v.number(
    "training.clipNorm",
    t.clipNorm,
    { min: 0, exclusiveMin: true, example: 1 },
    true,
  );
  const evalEvery =
    t.evalEvery === "epoch" || t.evalEvery === "never"
      ? t.evalEvery
      : typeof t.evalEvery === "number" || t.evalEvery === undefined
        ? v.number(
            "training.evalEvery",
            t.evalEvery,
            { integer: true, min: 1, example: '100, "epoch" or "never"' },
            true,
          )
        : v.fail("training.evalEvery", t.evalEvery, 'a positive integer (updates), "epoch" or "never"');
  const checkpointEvery = v.positiveInt("training.checkpointEvery", t.checkpointEvery, true, 500);
  const optimizerOnHost = v.boolean("training.optimizerOnHost", t.optimizerOnHost, true);
  const hostThreads = v.number(
    "training.hostThreads",
    t.hostThreads,
    { integer: true, min: 1, max: 64, example: 2 },
    true,
  );
  if (hostThreads !== undefined && hostThreads > 1 && optimizerOnHost !== true) {
    v.fail(
      "training.hostThreads",
      hostThreads,
      "1 or left out unless training.optimizerOnHost is true (set it to true)",
    );
  }
  const classWeights = parseClassWeights(v, t.classWeights);
  const sampling = v.oneOf("training.sampling", t.sampling, ["shuffle", "balanced"], true);
  let earlyStopping: TrainingSpec["earlyStopping"];
  const es = v.object("training.earlyStopping", t.earlyStopping, true);
  if (es !== undefined) {
    v.knownKeys("training.earlyStopping", es, ["patience", "metric", "mode", "minDelta"]);
    const metric = v.string("training.earlyStopping.metric", es.metric, true);
    const mode = v.oneOf("training.earlyStopping.mode", es.mode, ["max", "min"], true);
    const minDelta = v.number("training.earlyStopping.minDelta", es.minDelta, { min: 0 }, true);
    earlyStopping = {
      patience: v.positiveInt("training.earlyStopping.patience", es.patience, false, 3),
      ...opt("metric", metric),
      ...opt("mode", mode),
      ...opt("minDelta", minDelta),
    };
  }
  const metricForBest = v.string("training.metricForBest", t.metricForBest, true);
  if (evalEvery === "never" && earlyStopping !== undefined) {
    v.fail(
      "training.earlyStopping",
      t.earlyStopping,
      'to be left out when training.evalEvery is "never" (early stopping needs evaluations), or training.evalEvery "epoch" or a number',
    );
  }
  return {
    lr: v.number("training.lr", t.lr ?? 5e-5, { min: 0, exclusiveMin: true, example: "5e-5" }),
    ...opt("epochs", epochs),
    ...opt("maxSteps", maxSteps),
    batchSize: v.positiveInt("training.batchSize", t.batchSize ?? 32, false, 32),
    ...opt("evalBatchSize", v.positiveInt("training.evalBatchSize", t.evalBatchSize, true, 64)),
    maxLength: v.number("training.maxLength", t.maxLength ?? 128, { integer: true, min: 4, example: 128 }),
    ...opt("warmupSteps", warmupSteps),
    ...opt("warmupRatio", warmupRatio),
    schedule: v.oneOf("training.schedule", t.schedule ?? "linear", ["constant", "linear", "cosine"]),
    weightDecay: v.number("training.weightDecay", t.weightDecay ?? 0.01, { min: 0, example: 0.01 }),
    ...opt("clipNorm", clipNorm),
    gradientAccumulation: v.positiveInt(
      "training.gradientAccumulation",
      t.gradientAccumulation ?? 1,
      false,
      1,
    ),
    ...opt("optimizerOnHost", optimizerOnHost),
    ...opt("hostThreads", hostThreads),
    ...opt("evalEvery", evalEvery),
    ...opt("checkpointEvery", checkpointEvery),
    ...(classWeights === undefined ? {} : { classWeights }),
    ...opt("sampling", sampling),
    ...(earlyStopping === undefined ? {} : { earlyStopping }),
    ...opt("metricForBest", metricForBest),
    seed: v.number("training.seed", t.seed ?? 42, { integer: true, min: 0, example: 42 }),
    dropout: v.boolean("training.dropout", t.dropout, true) ?? true,
  };
}
