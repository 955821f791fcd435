import { TunekitError } from "../errors.js";

/**
 * File names inside a training checkpoint folder.
 *
 * @example
 * ```ts
 * const weights = join("runs/x/checkpoint-100", CHECKPOINT_FILES.model); // .../model.safetensors
 * ```
 */
export const CHECKPOINT_FILES = {
  /** Every parameter of the model, Hugging Face names. */
  model: "model.safetensors",
  /** Only the trainable parameters (e.g. adapters), Hugging Face names. */
  trainable: "trainable.safetensors",
  /** The model's Hugging Face `config.json` (when the model has a config). */
  config: "config.json",
  /** Optimizer state slots `<param>::<slot>` and gradient accumulators `<param>::grad_acc`. */
  optimizer: "optimizer.safetensors",
  /** {@link TrainerStateJson}. */
  trainerState: "trainer_state.json",
} as const;

/**
 * `format` tag of `trainer_state.json`.
 *
 * @example
 * ```ts
 * if (json.format !== TRAINER_STATE_FORMAT) throw new Error("not a tunekit checkpoint");
 * ```
 */
export const TRAINER_STATE_FORMAT = "tunekit-trainer-state";

/**
 * Best-metric or early-stopping tracker state.
 *
 * @example
 * ```ts
 * const t: MetricTrackerState = { metric: "accuracy", mode: "max", best: 0.9, bestStep: 40, sinceBest: 1 };
 * ```
 */
export interface MetricTrackerState {
  readonly metric: string;
  readonly mode: "max" | "min";
  readonly best: number | null;
  readonly bestStep: number | null;
  readonly sinceBest: number;
}

/**
 * Contents of `trainer_state.json`: where training is (updates, micro-batches toward the
 * next update, epoch and batch position in that epoch's seeded order), the RNG state
 * (shuffling is `planBatches(seed, epoch)`, dropout seeds derive from `seed`, step and
 * micro-step), the schedule position, the best metric, the early-stopping counter and a
 * hash of the options that must match to resume.
 *
 * @example
 * ```ts
 * const state = parseTrainerState(JSON.parse(text), "ckpt/trainer_state.json");
 * state.step; // updates done
 * ```
 */
export interface TrainerStateJson {
  readonly format: typeof TRAINER_STATE_FORMAT;
  readonly version: 1;
  readonly step: number;
  readonly microStep: number;
  readonly epoch: number;
  /** Micro-batches of `epoch` already consumed. */
  readonly batchInEpoch: number;
  readonly rng: { readonly seed: number; readonly epoch: number };
  readonly schedule: { readonly name: string; readonly completedSteps: number; readonly totalSteps: number };
  readonly best: MetricTrackerState;
  /** Folder name of the best checkpoint so far (in the same parent folder). */
  readonly bestCheckpoint: string | null;
  readonly earlyStopping: MetricTrackerState | null;
  readonly configHash: string;
  /** The options hashed into `configHash`, for messages naming what differs. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly trainableParameters: readonly string[];
  /** Every evaluation so far: step, epoch, loss, metrics (NaN is written as null) and rows scored. */
  readonly evaluations: readonly {
    readonly step: number;
    readonly epoch: number;
    readonly loss: number;
    readonly metrics: Record<string, number>;
    readonly numExamples: number;
  }[];
}

function fail(file: string, what: string): never {
  throw new TunekitError(
    "CHECKPOINT_INVALID",
    `${file}: ${what}; the checkpoint is damaged or not written by the tunekit Trainer`,
    {
      details: { file },
    },
  );
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function int(o: Record<string, unknown>, key: string, file: string, where = ""): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    fail(file, `${where}${key} is ${JSON.stringify(v)}, expected a non-negative integer`);
  }
  return v;
}

function tracker(v: unknown, key: string, file: string): MetricTrackerState {
  if (!isObj(v)) fail(file, `${key} is ${JSON.stringify(v)}, expected an object`);
  if (typeof v.metric !== "string")
    fail(file, `${key}.metric is ${JSON.stringify(v.metric)}, expected a string`);
  if (v.mode !== "max" && v.mode !== "min")
    fail(file, `${key}.mode is ${JSON.stringify(v.mode)}, expected "max" or "min"`);
  for (const k of ["best", "bestStep"]) {
    if (v[k] !== null && typeof v[k] !== "number")
      fail(file, `${key}.${k} is ${JSON.stringify(v[k])}, expected a number or null`);
  }
  int(v, "sinceBest", file, `${key}.`);
  return v as unknown as MetricTrackerState;
}

/**
 * Validates parsed `trainer_state.json`; errors are `CHECKPOINT_INVALID` naming `file`,
 * the key and the value found.
 *
 * @example
 * ```ts
 * const state = parseTrainerState(JSON.parse(await readFile(path, "utf8")), path);
 * ```
 */
export function parseTrainerState(json: unknown, file: string): TrainerStateJson {
  if (!isObj(json)) fail(file, `expected a JSON object, got ${JSON.stringify(json)?.slice(0, 40)}`);
  if (json.format !== TRAINER_STATE_FORMAT) {
    fail(file, `format is ${JSON.stringify(json.format)}, expected "${TRAINER_STATE_FORMAT}"`);
  }
  if (json.version !== 1) fail(file, `version is ${JSON.stringify(json.version)}, expected 1`);
  for (const k of ["step", "microStep", "epoch", "batchInEpoch"]) int(json, k, file);
  if (!isObj(json.rng)) fail(file, `rng is ${JSON.stringify(json.rng)}, expected { seed, epoch }`);
  if (typeof json.rng.seed !== "number" || !Number.isInteger(json.rng.seed)) {
    fail(file, `rng.seed is ${JSON.stringify(json.rng.seed)}, expected an integer`);
  }
  int(json.rng, "epoch", file, "rng.");
  if (!isObj(json.schedule)) fail(file, `schedule is ${JSON.stringify(json.schedule)}, expected an object`);
  int(json.schedule, "completedSteps", file, "schedule.");
  int(json.schedule, "totalSteps", file, "schedule.");
  tracker(json.best, "best", file);
  if (json.earlyStopping !== null) tracker(json.earlyStopping, "earlyStopping", file);
  if (json.bestCheckpoint !== null && typeof json.bestCheckpoint !== "string") {
    fail(file, `bestCheckpoint is ${JSON.stringify(json.bestCheckpoint)}, expected a folder name or null`);
  }
  if (typeof json.configHash !== "string")
    fail(file, `configHash is ${JSON.stringify(json.configHash)}, expected a string`);
  if (!isObj(json.config)) fail(file, "config is missing, expected the hashed options");
  if (
    !Array.isArray(json.trainableParameters) ||
    !json.trainableParameters.every((n) => typeof n === "string")
  ) {
    fail(file, "trainableParameters is not a list of parameter names");
  }
  if (!Array.isArray(json.evaluations)) fail(file, "evaluations is not a list");
  for (const [i, e] of (json.evaluations as unknown[]).entries()) {
    const at = `evaluations[${i}]`;
    if (!isObj(e)) fail(file, `${at}: expected { step, loss, metrics }, got ${JSON.stringify(e)}`);
    int(e, "step", file, `${at}.`);
    if (e.loss !== null && typeof e.loss !== "number") {
      fail(file, `${at}: loss is ${JSON.stringify(e.loss)}, expected a number`);
    }
    if (!isObj(e.metrics))
      fail(file, `${at}: metrics is ${JSON.stringify(e.metrics)}, expected an object of numbers`);
    for (const [k, v] of Object.entries(e.metrics)) {
      if (v !== null && typeof v !== "number")
        fail(file, `${at}: metrics.${k} is ${JSON.stringify(v)}, expected a number`);
    }
  }
  return json as unknown as TrainerStateJson;
}
