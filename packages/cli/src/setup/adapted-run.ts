import { stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { type Strategy, TunekitError } from "@tunekit/core";
import type { AnyBertModel } from "@tunekit/core/models";
import type { TrainConfig } from "../config/train-config.js";
import { RUN_FILE, type RunRecord, resolveRun } from "./run-files.js";
import { loadAdaptedModel } from "./trained-model.js";

/**
 * Config methods whose adapter folds into the base weights (`merge`): the LoRA family and IA3.
 *
 * @example
 * ```ts
 * MERGEABLE_METHODS.includes("dora"); // true
 * ```
 */
export const MERGEABLE_METHODS: readonly string[] = ["lora", "rslora", "dora", "ia3"];

/**
 * Adapter file format of each config method that has one (`export-adapter`): PEFT's for the
 * LoRA family, IA3, prefix and prompt tuning; `tunekit` (`tunekit-bottleneck/1`) for
 * bottleneck adapters.
 *
 * @example
 * ```ts
 * ADAPTER_FORMATS.houlsby; // "tunekit"
 * ```
 */
export const ADAPTER_FORMATS: Readonly<Record<string, "peft" | "tunekit">> = {
  lora: "peft",
  rslora: "peft",
  dora: "peft",
  ia3: "peft",
  prefix: "peft",
  "prefix-tuning": "peft",
  prompt: "peft",
  "prompt-tuning": "peft",
  adapter: "tunekit",
  "bottleneck-adapter": "tunekit",
  houlsby: "tunekit",
  pfeiffer: "tunekit",
  "parallel-adapter": "tunekit",
};

/**
 * A trained adapter run loaded back: its config, record, the adapted model (base + adapter
 * with the trained values) and the strategy.
 *
 * @example
 * ```ts
 * const run = await loadAdaptedRun("runs/sst2-lora", "/repo", (m) => MERGEABLE_METHODS.includes(m), "merge needs ...");
 * ```
 */
export interface AdaptedRun {
  readonly runDir: string;
  readonly config: TrainConfig;
  readonly record: RunRecord;
  readonly modelDir: string;
  readonly method: string;
  readonly model: AnyBertModel;
  readonly strategy: Strategy;
}

/**
 * Resolves `target` (a run folder of `tunekit train`, its `model/` folder, or its config
 * file), checks the run's strategy with `accepts` (else a `CONFIG_INVALID` error ending with
 * `expected`, exit code 2) and rebuilds the adapted model with its trained weights.
 *
 * @example
 * ```ts
 * const run = await loadAdaptedRun("runs/x", process.cwd(), (m) => m === "lora", "a LoRA run");
 * ```
 */
export async function loadAdaptedRun(
  target: string,
  cwd: string,
  accepts: (method: string) => boolean,
  expected: string,
): Promise<AdaptedRun> {
  const runTarget = await runFolderOf(target, cwd);
  const { config, modelDir, record } = await resolveRun(runTarget, cwd, undefined);
  const runDir = dirname(modelDir);
  if (record === undefined) {
    throw new TunekitError(
      "IO_ERROR",
      `${target}: no ${RUN_FILE} in ${runDir}, so the model was not trained yet; run tunekit train on the config first`,
    );
  }
  const method = config.strategy.method;
  if (!accepts(method) || record.model !== "adapted") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${target} was trained with strategy "${method}"${record.model === "plain" ? ` (its ${basename(modelDir)}/ is already a plain Hugging Face folder)` : ""}; expected ${expected}`,
      { details: { method } },
    );
  }
  const { model, strategy } = await loadAdaptedModel(config, modelDir, record);
  return { runDir, config, record, modelDir, method, model: model as AnyBertModel, strategy };
}

/** `runs/x/model` (a run's model folder) → `runs/x`; anything else unchanged. */
async function runFolderOf(target: string, cwd: string): Promise<string> {
  const path = isAbsolute(target) ? target : resolve(cwd, target);
  const own = await stat(join(path, RUN_FILE)).catch(() => undefined);
  if (own !== undefined) return path;
  const parent = await stat(join(dirname(path), RUN_FILE)).catch(() => undefined);
  return parent !== undefined && (await stat(path).catch(() => undefined))?.isDirectory()
    ? dirname(path)
    : target;
}
