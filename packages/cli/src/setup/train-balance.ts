import { type TrainerData, type TrainerOptions, TunekitError } from "@tunekit/core";
import { isTaskMixture } from "@tunekit/core/trainer";
import { resolveClassWeights } from "../config/class-balance.js";
import type { TrainConfig } from "../config/train-config.js";
import type { RunData } from "./run-data.js";

/**
 * The Trainer options of `training.evalEvery`, `training.checkpointEvery`, early stopping and
 * the best-checkpoint metric. `evalEvery: "never"` turns evaluation during training off: no
 * best checkpoint, the final weights are kept (and scored once at the end).
 *
 * @example
 * ```ts
 * const o = scheduleOptions(config.training, { hasEval: true, metricForBest: "accuracy", checkpointDir: "runs/x/checkpoints" });
 * ```
 */
export function scheduleOptions(
  t: TrainConfig["training"],
  o: { readonly hasEval: boolean; readonly metricForBest: string; readonly checkpointDir: string },
): Pick<TrainerOptions, "evaluation" | "metricForBest" | "earlyStopping" | "checkpoints"> {
  const checkpoints = {
    dir: o.checkpointDir,
    keepLast: 1,
    atEpochEnd: true,
    ...(t.checkpointEvery === undefined ? {} : { everySteps: t.checkpointEvery }),
  };
  if (!o.hasEval || t.evalEvery === "never") return { checkpoints };
  return {
    checkpoints,
    metricForBest: o.metricForBest,
    evaluation:
      typeof t.evalEvery === "number" ? { everySteps: t.evalEvery, atEpochEnd: true } : { atEpochEnd: true },
    ...(t.earlyStopping === undefined ? {} : { earlyStopping: t.earlyStopping }),
  };
}

/**
 * The Trainer options of `training.classWeights` and `training.sampling` for the run's data,
 * with a line describing them; `CONFIG_INVALID` (naming the key) where they do not apply: a
 * task mixture, a causal LM, regression, or balanced sampling of token classification.
 *
 * @example
 * ```ts
 * const { options, lines } = balanceOptions(config, await prepareRunData(config, tokenizer));
 * ```
 */
export function balanceOptions(
  config: TrainConfig,
  data: RunData,
): {
  readonly options: Pick<TrainerOptions, "classWeights" | "sampling">;
  readonly lines: readonly string[];
} {
  const t = config.training;
  const fail = (key: string, value: unknown, why: string): never => {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${config.source}: training.${key} is ${JSON.stringify(value)}; ${why}`,
      { details: { path: `training.${key}`, received: JSON.stringify(value), expected: why } },
    );
  };
  const balanced = t.sampling === "balanced";
  if (t.classWeights === undefined && !balanced) return { options: {}, lines: [] };
  const shown = t.classWeights?.kind === "balanced" ? "balanced" : t.classWeights;
  const [key, value] = t.classWeights !== undefined ? ["classWeights", shown] : ["sampling", t.sampling];
  if (isTaskMixture(data.train))
    fail(key, value, "expected it left out with a tasks mixture (its tasks are sampled by the mixture)");
  if (data.task === "causal-lm" || data.task === "regression") {
    fail(key, value, `expected it left out for task ${data.task} (it applies to classification labels)`);
  }
  if (balanced && data.task === "token-classification") {
    fail(
      "sampling",
      t.sampling,
      'expected "shuffle" (or left out) for token classification: balanced sampling draws whole rows by their one label',
    );
  }
  const train = data.train as TrainerData;
  const lines: string[] = [];
  const options: { classWeights?: number[]; sampling?: "balanced" } = {};
  if (t.classWeights !== undefined) {
    const labels = train.tokenLabels === undefined ? train.labels! : flat(train.tokenLabels);
    const weights = resolveClassWeights(t.classWeights, data.labels, labels, config.source);
    options.classWeights = weights;
    lines.push(`class weights: ${data.labels.map((l, i) => `${l} ${round(weights[i]!)}`).join(", ")}`);
  }
  if (balanced) {
    options.sampling = "balanced";
    lines.push("balanced sampling: every class oversampled to the largest one in each epoch");
  }
  return { options, lines };
}

function flat(rows: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

function round(x: number): string {
  return String(Math.round(x * 1e4) / 1e4);
}
