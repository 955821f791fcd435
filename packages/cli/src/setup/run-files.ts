import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isTunekitError, TunekitError } from "@tunekit/core";
import type { ResolvedTaskHead } from "@tunekit/core/models";
import { writeFileAtomic } from "@tunekit/core/io";
import type { CliIo } from "../cli-io.js";
import { applyOverrides, type ConfigOverride } from "../command.js";
import { readConfigFile } from "../config/config-file.js";
import { decoderRunError } from "../config/causal-lm-config.js";
import { type CliTask, parseTrainConfig, type TrainConfig } from "../config/train-config.js";
import { isRecord } from "../config/validate.js";
import { hubFolder, resolveHubReferences } from "./hub-model.js";

/**
 * File of a run folder that records how it was trained.
 *
 * @example
 * ```ts
 * const record = JSON.parse(await readFile(join("runs/sst2-tiny", RUN_FILE), "utf8"));
 * ```
 */
export const RUN_FILE = "tunekit-run.json";
/** Sub-folder of a run folder with the trained model (a Hugging Face folder + tokenizer). */
export const MODEL_DIR = "model";
/** Tokenizer files copied next to the trained model. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "vocab.txt",
  "special_tokens_map.json",
  "added_tokens.json",
];

/**
 * What `tunekit-run.json` holds: the raw config and where its relative paths resolve, so
 * `evaluate` / `predict` rebuild exactly the same data pipeline.
 *
 * @example
 * ```ts
 * const record: RunRecord = { format: "tunekit-run", version: 1, configFile: "/repo/examples/sst2-tiny.json", configDir: "/repo/examples", cwd: "/repo", config: raw, task: "sequence-classification", labels: ["negative", "positive"], model: "plain" };
 * ```
 */
export interface RunRecord {
  readonly format: "tunekit-run";
  readonly version: 1;
  readonly configFile: string;
  readonly configDir: string;
  readonly cwd: string;
  readonly config: unknown;
  /** The task of the data set (a `tasks` mixture: the first task's). */
  readonly task: CliTask;
  readonly labels: readonly string[];
  /** A multi-task model's heads, in `task_ids` order. */
  readonly tasks?: readonly ResolvedTaskHead[];
  /** How `model/` was saved (see `saveTrainedModel`). */
  readonly model: "plain" | "adapted";
}

/**
 * Reads and validates a train config file (JSON or YAML); `overrides` patch the raw config
 * first (command-line flags such as `--max-steps`). A Hugging Face Hub reference in
 * `model.path` or `tokenizer` is downloaded (a progress bar on `io`'s terminal) once the rest
 * of the config is valid, and validated as its cache snapshot folder; `raw` keeps the reference.
 *
 * @example
 * ```ts
 * const { config, raw } = await loadTrainConfigFile("examples/sst2-tiny.json", "/repo", [{ path: ["training", "maxSteps"], value: 10 }]);
 * ```
 */
export async function loadTrainConfigFile(
  file: string,
  cwd: string,
  overrides: readonly ConfigOverride[] = [],
  io?: CliIo,
): Promise<{ readonly config: TrainConfig; readonly raw: unknown; readonly path: string }> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  const raw = applyOverrides(await readConfigFile(path), overrides);
  const where = { source: file, configDir: dirname(path), cwd };
  let config: TrainConfig | undefined;
  try {
    config = parseTrainConfig(raw, where);
  } catch (e) {
    // config errors come before any download, except one about model.path itself: a Hub
    // decoder is only known as one once its config.json is here
    if (!(isTunekitError(e, "CONFIG_INVALID") && e.details?.path === "model.path")) throw e;
  }
  const local = await resolveHubReferences(raw, dirname(path), io);
  if (local === raw && config !== undefined) return { config, raw, path };
  return { config: parseTrainConfig(local, where), raw, path };
}

/**
 * Resolves the `RUN_OR_CONFIG` argument of `evaluate` / `predict`: a run folder written by
 * `tunekit train` (its recorded config and `model/`), or a config file (its `output/model`,
 * or `--model`).
 *
 * @example
 * ```ts
 * const { config, modelDir } = await resolveRun("runs/sst2-tiny", "/repo", undefined);
 * ```
 */
export async function resolveRun(
  target: string,
  cwd: string,
  modelFlag: string | undefined,
): Promise<{
  readonly config: TrainConfig;
  readonly modelDir: string;
  readonly record: RunRecord | undefined;
}> {
  const path = isAbsolute(target) ? target : resolve(cwd, target);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    throw new TunekitError(
      "IO_ERROR",
      `${target} does not exist; pass a run folder written by tunekit train, or a config file`,
    );
  }
  const modelOverride =
    modelFlag === undefined
      ? undefined
      : ((await hubFolder(modelFlag, cwd, undefined, true)) ?? resolve(cwd, modelFlag));
  if (info.isDirectory()) {
    const recordPath = join(path, RUN_FILE);
    const text = await readFile(recordPath, "utf8").catch(() => undefined);
    if (text === undefined) {
      throw new TunekitError(
        "IO_ERROR",
        `${target} is a folder without ${RUN_FILE}; pass a run folder written by tunekit train, or a config file (with --model for a model folder)`,
      );
    }
    const record = parseRunRecord(text, recordPath);
    const config = parseTrainConfig(await resolveHubReferences(record.config, record.configDir), {
      source: recordPath,
      configDir: record.configDir,
      cwd: record.cwd,
    });
    if (config.task === "causal-lm") throw decoderRunError(target);
    return { config, modelDir: modelOverride ?? join(path, MODEL_DIR), record };
  }
  const { config } = await loadTrainConfigFile(target, cwd);
  if (config.task === "causal-lm") throw decoderRunError(target);
  const recordPath = join(config.output, RUN_FILE);
  const text = await readFile(recordPath, "utf8").catch(() => undefined);
  const record = text === undefined ? undefined : parseRunRecord(text, recordPath);
  return { config, modelDir: modelOverride ?? join(config.output, MODEL_DIR), record };
}

function parseRunRecord(text: string, path: string): RunRecord {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(record) || record.format !== "tunekit-run") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path}: not a tunekit run record (format is ${JSON.stringify(isRecord(record) ? record.format : record)}, expected "tunekit-run")`,
    );
  }
  return record as unknown as RunRecord;
}

/**
 * Copies the tokenizer files found in `from` into `to` (so a model folder is self-contained).
 * Each file is written atomically (a temporary file renamed over the old one): a full disk or
 * a crash leaves the old file or the complete new one, never a truncated one.
 *
 * @example
 * ```ts
 * await copyTokenizerFiles("../shared/tokenizers/bert-base-uncased", "runs/x/model");
 * ```
 */
export async function copyTokenizerFiles(from: string, to: string): Promise<string[]> {
  await mkdir(to, { recursive: true });
  const copied: string[] = [];
  for (const name of TOKENIZER_FILES) {
    const bytes = await readFile(join(from, name)).catch(() => undefined);
    if (bytes === undefined) continue;
    await writeFileAtomic(join(to, name), bytes);
    copied.push(name);
  }
  return copied;
}

/**
 * Writes `value` as pretty JSON (creating the folder), atomically: readers see the old file or
 * the complete new one; a failure is `IO_ERROR` and leaves the old file in place.
 *
 * @example
 * ```ts
 * await writeJson("runs/x/metrics.json", { accuracy: 0.8 });
 * ```
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
