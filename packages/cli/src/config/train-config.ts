import { isAbsolute, resolve } from "node:path";
import { type DatasetConfig, parseDatasetConfig } from "@tunekit/core/data";
import type { TokenDataSpec } from "../setup/token-data.js";
import {
  CAUSAL_LM_DATA_KEYS,
  type CausalLmDataSpec,
  parseCausalLmData,
  resolveDecoderTask,
} from "./causal-lm-config.js";
import { parseStrategySpec, type StrategySpec } from "../strategy-config.js";
import { type MixtureSpec, parseMixture } from "./tasks-config.js";
import { parseTraining, type TrainingSpec } from "./training-config.js";
import { ConfigValidator, isRecord } from "./validate.js";

/**
 * The model to train: a Hugging Face folder (`config.json` + `model.safetensors`) or a small
 * randomly initialised BERT (vocabulary size from the tokenizer).
 *
 * @example
 * ```ts
 * const m: ModelSpec = { kind: "random", layers: 2, hidden: 128, heads: 2, intermediate: 512, maxPositions: 512, seed: 0 };
 * ```
 */
export type ModelSpec =
  | {
      readonly kind: "pretrained";
      readonly path: string;
      /** Grow the word embeddings to the tokenizer's size when it has more ids than `vocab_size`. */
      readonly resizeEmbeddings?: boolean;
    }
  | {
      readonly kind: "random";
      readonly layers: number;
      readonly hidden: number;
      readonly heads: number;
      readonly intermediate: number;
      readonly maxPositions: number;
      readonly seed: number;
    };

/**
 * Tasks the CLI trains.
 *
 * @example
 * ```ts
 * CLI_TASKS.includes("regression"); // true
 * ```
 */
export const CLI_TASKS = [
  "sequence-classification",
  "regression",
  "token-classification",
  "causal-lm",
] as const;

/**
 * What the model predicts: a class per text (pair), a score per text (pair), a tag per token,
 * or the next token (`causal-lm`: a Llama-family decoder).
 *
 * @example
 * ```ts
 * const t: CliTask = "regression";
 * ```
 */
export type CliTask = (typeof CLI_TASKS)[number];

/**
 * Where the data comes from: a {@link DatasetConfig} (read from `configPath`, or inline), the
 * folder its relative paths resolve against, and optional row limits per split (first N rows).
 *
 * @example
 * ```ts
 * const d: DataSpec = { configPath: "/repo/examples/data/sst2.json", baseDir: "/repo", maxRows: { train: 1000 }, evalSplit: "validation" };
 * ```
 */
export interface DataSpec {
  readonly configPath?: string;
  readonly inline?: DatasetConfig;
  /** Token classification data (JSON Lines of words and tags) instead of a data set config. */
  readonly tokens?: TokenDataSpec;
  /** Causal-LM JSON Lines (`data.jsonl`) for a decoder. */
  readonly causalLm?: CausalLmDataSpec;
  readonly baseDir: string;
  readonly maxRows: { readonly train?: number; readonly validation?: number; readonly test?: number };
  /** Split evaluated during and after training (default `validation`). */
  readonly evalSplit: "validation" | "test";
}

/**
 * The backend that runs the graphs.
 *
 * @example
 * ```ts
 * const b: BackendSpec = { name: "tfjs", engine: "wasm" };
 * ```
 */
export interface BackendSpec {
  readonly name: "onnx" | "tfjs";
  readonly engine?: "auto" | "wasm" | "cpu" | "tensorflow";
  readonly threads?: number;
  /**
   * onnx: execution providers in priority order (`["webgpu"]`, `["cuda", "cpu"]`); one that
   * cannot start falls back to the CPU with a message. On `webgpu`, parameters and optimizer
   * state stay in device memory between steps.
   */
  readonly providers?: readonly ("cpu" | "cuda" | "webgpu")[];
}

/**
 * A validated `tunekit train` config with absolute paths.
 *
 * @example
 * ```ts
 * const config = parseTrainConfig(await readConfigFile(path), { source: path, configDir: dirname(path), cwd: process.cwd() });
 * ```
 */
export interface TrainConfig {
  readonly source: string;
  readonly model: ModelSpec;
  readonly tokenizer: string;
  readonly data: DataSpec;
  /** `undefined`: from the data set (`regression` data sets train a regressor). */
  readonly task: CliTask | undefined;
  readonly strategy: StrategySpec;
  readonly backend: BackendSpec;
  readonly training: TrainingSpec;
  readonly output: string;
  /**
   * A multi-task mixture (`tasks`, `sampling`, `batching`); then `data` and `task` are the
   * first task's, for commands that read one data set.
   */
  readonly mixture?: MixtureSpec;
}

const TOP_KEYS = [
  "$schema",
  "description",
  "model",
  "tokenizer",
  "data",
  "task",
  "strategy",
  "backend",
  "training",
  "output",
  "tasks",
  "sampling",
  "batching",
  "stages",
];

/**
 * Validates a parsed `tunekit train` config. Input paths (`model.path`, `tokenizer`,
 * `data.config`, `data.baseDir`) resolve against `configDir`; `output` resolves against `cwd`.
 * Errors are `CONFIG_INVALID` naming the key path, the value and the allowed values.
 *
 * @example
 * ```ts
 * const cfg = parseTrainConfig({ model: { random: { layers: 2 } }, tokenizer: "tok", data: { config: "d.json" }, training: { epochs: 1 }, output: "runs/x" },
 *   { source: "train.json", configDir: "/repo/examples", cwd: "/repo" });
 * ```
 */
export function parseTrainConfig(
  raw: unknown,
  where: { readonly source: string; readonly configDir: string; readonly cwd: string },
): TrainConfig {
  const v = new ConfigValidator(where.source);
  const top = v.object("(top level)", raw);
  v.knownKeys("", top, TOP_KEYS);
  const input = (p: string): string => (isAbsolute(p) ? p : resolve(where.configDir, p));
  const model = parseModel(v, top.model, input);
  if (top.stages !== undefined) {
    v.fail(
      "stages",
      "[...]",
      "no stages here: tunekit train runs each stage into OUTPUT/stage-<i>-<name>; pass that run folder to evaluate, predict or info",
    );
  }
  let mixture: MixtureSpec | undefined;
  if (top.tasks !== undefined) {
    for (const key of ["data", "task"] as const) {
      if (top[key] !== undefined)
        v.fail(key, top[key], "to be left out when tasks is given (each task has its own data and task)");
    }
    mixture = parseMixture(v, top.tasks, top.sampling, top.batching, input);
  } else {
    for (const key of ["sampling", "batching"] as const) {
      if (top[key] !== undefined) v.fail(key, top[key], "nothing unless tasks lists a multi-task mixture");
    }
  }
  const data = mixture === undefined ? parseData(v, top.data, input) : mixture.tasks[0]!.data;
  const rawTask = v.oneOf("task", top.task, CLI_TASKS, true);
  const decoder =
    resolveDecoderTask(v, {
      model,
      causalLm: isRecord(top.data) && top.data.jsonl !== undefined,
      task: rawTask,
      mixture: top.tasks !== undefined,
    }) === "causal-lm";
  const tokenizer =
    decoder && top.tokenizer === undefined && model.kind === "pretrained"
      ? model.path
      : input(v.string("tokenizer", top.tokenizer));
  const task = mixture === undefined ? (decoder ? "causal-lm" : rawTask) : mixture.tasks[0]!.task;
  const strategy = parseStrategySpec(v, top.strategy ?? "full");
  const backend = parseBackend(v, top.backend);
  const training = parseTraining(v, v.object("training", top.training));
  const outRaw = v.string("output", top.output);
  const output = isAbsolute(outRaw) ? outRaw : resolve(where.cwd, outRaw);
  return {
    source: where.source,
    model,
    tokenizer,
    data,
    task,
    strategy,
    backend,
    training,
    output,
    ...(mixture === undefined ? {} : { mixture }),
  };
}

function parseModel(v: ConfigValidator, raw: unknown, input: (p: string) => string): ModelSpec {
  const m = v.object("model", raw);
  v.knownKeys("model", m, ["path", "random", "resizeEmbeddings"]);
  if ((m.path === undefined) === (m.random === undefined)) {
    v.fail(
      "model",
      m,
      'exactly one of { "path": "<HF folder>" } or { "random": { layers, hidden, heads, intermediate } }',
    );
  }
  if (m.path !== undefined) {
    const path = input(v.string("model.path", m.path));
    if (m.resizeEmbeddings === undefined) return { kind: "pretrained", path };
    if (typeof m.resizeEmbeddings !== "boolean")
      v.fail("model.resizeEmbeddings", m.resizeEmbeddings, "true or false");
    return { kind: "pretrained", path, resizeEmbeddings: m.resizeEmbeddings as boolean };
  }
  if (m.resizeEmbeddings !== undefined) {
    v.fail(
      "model.resizeEmbeddings",
      m.resizeEmbeddings,
      'nothing for a random model (its vocabulary is the tokenizer\'s); use it with "path"',
    );
  }
  const r = v.object("model.random", m.random);
  v.knownKeys("model.random", r, ["layers", "hidden", "heads", "intermediate", "maxPositions", "seed"]);
  const layers = v.positiveInt("model.random.layers", r.layers ?? 2, false, 2);
  const hidden = v.positiveInt("model.random.hidden", r.hidden ?? 128, false, 128);
  const heads = v.positiveInt("model.random.heads", r.heads ?? 2, false, 2);
  if (hidden % heads !== 0)
    v.fail("model.random.heads", heads, `a divisor of model.random.hidden (${hidden})`);
  const intermediate = v.positiveInt("model.random.intermediate", r.intermediate ?? hidden * 4, false, 512);
  const maxPositions = v.positiveInt("model.random.maxPositions", r.maxPositions ?? 512, false, 512);
  const seed = v.number("model.random.seed", r.seed ?? 0, { integer: true, min: 0 });
  return { kind: "random", layers, hidden, heads, intermediate, maxPositions, seed };
}

export function parseData(
  v: ConfigValidator,
  raw: unknown,
  input: (p: string) => string,
  at = "data",
): DataSpec {
  const d = v.object(at, raw);
  v.knownKeys(at, d, ["config", "tokens", "baseDir", "maxRows", "evalSplit", ...CAUSAL_LM_DATA_KEYS]);
  const baseDir = input(v.string(`${at}.baseDir`, d.baseDir, true) ?? ".");
  const evalSplit = v.oneOf(`${at}.evalSplit`, d.evalSplit, ["validation", "test"], true) ?? "validation";
  const maxRows: { train?: number; validation?: number; test?: number } = {};
  const mr = v.object(`${at}.maxRows`, d.maxRows, true);
  if (mr !== undefined) {
    v.knownKeys(`${at}.maxRows`, mr, ["train", "validation", "test"]);
    for (const split of ["train", "validation", "test"] as const) {
      const n = v.positiveInt(`${at}.maxRows.${split}`, mr[split], true, 1000);
      if (n !== undefined) maxRows[split] = n;
    }
  }
  if (d.jsonl !== undefined) return { causalLm: parseCausalLmData(v, d, at), baseDir, maxRows, evalSplit };
  for (const key of CAUSAL_LM_DATA_KEYS) {
    if (d[key] !== undefined)
      v.fail(`${at}.${key}`, d[key], `nothing unless ${at}.jsonl gives causal-LM data`);
  }
  if (d.tokens !== undefined) {
    if (d.config !== undefined)
      v.fail(`${at}.tokens`, d.tokens, "to be left out when data.config is given (use one)");
    return { tokens: parseTokenData(v, d.tokens, at), baseDir, maxRows, evalSplit };
  }
  if (typeof d.config === "string") {
    return { configPath: input(v.string(`${at}.config`, d.config)), baseDir, maxRows, evalSplit };
  }
  if (isRecord(d.config)) {
    const inline = parseDatasetConfig(d.config, `${v.source}: ${at}.config`);
    return { inline, baseDir, maxRows, evalSplit };
  }
  return v.fail(
    `${at}.config`,
    d.config,
    'a path to a data set config (e.g. "data/sst2.json") or an inline data set config object (or data.tokens for token classification)',
  );
}

function parseTokenData(v: ConfigValidator, raw: unknown, at: string): TokenDataSpec {
  const t = v.object(`${at}.tokens`, raw);
  v.knownKeys(`${at}.tokens`, t, ["name", "splits", "tokensKey", "tagsKey", "labels"]);
  const s = v.object(`${at}.tokens.splits`, t.splits);
  v.knownKeys(`${at}.tokens.splits`, s, ["train", "validation", "test"]);
  const splits: { train?: string; validation?: string; test?: string } = {};
  for (const k of ["train", "validation", "test"] as const) {
    const f = v.string(`${at}.tokens.splits.${k}`, s[k], true);
    if (f !== undefined) splits[k] = f;
  }
  if (Object.keys(splits).length === 0)
    v.fail(`${at}.tokens.splits`, s, "at least one of train, validation, test (JSONL files)");
  const labels = t.labels;
  if (
    labels !== undefined &&
    !(Array.isArray(labels) && labels.length >= 2 && labels.every((x) => typeof x === "string"))
  ) {
    v.fail(`${at}.tokens.labels`, labels, 'a list of at least 2 tag names, e.g. ["O", "B-PER", "I-PER"]');
  }
  const name = v.string(`${at}.tokens.name`, t.name, true);
  return {
    ...(name === undefined ? {} : { name }),
    splits,
    tokensKey: v.string(`${at}.tokens.tokensKey`, t.tokensKey, true) ?? "tokens",
    tagsKey: v.string(`${at}.tokens.tagsKey`, t.tagsKey, true) ?? "tags",
    ...(labels === undefined ? {} : { labels: labels as string[] }),
  };
}

function parseBackend(v: ConfigValidator, raw: unknown): BackendSpec {
  if (raw === undefined) return { name: "onnx" };
  if (typeof raw === "string") return { name: v.oneOf("backend", raw, ["onnx", "tfjs"]) };
  const b = v.object("backend", raw);
  v.knownKeys("backend", b, ["name", "engine", "threads", "providers"]);
  const name = v.oneOf("backend.name", b.name, ["onnx", "tfjs"]);
  const engine = v.oneOf("backend.engine", b.engine, ["auto", "wasm", "cpu", "tensorflow"], true);
  if (engine !== undefined && name !== "tfjs")
    v.fail("backend.engine", engine, 'nothing unless backend.name is "tfjs"');
  const threads = v.positiveInt("backend.threads", b.threads, true, 4);
  if (threads !== undefined && name !== "onnx")
    v.fail("backend.threads", threads, 'nothing unless backend.name is "onnx"');
  let providers: ("cpu" | "cuda" | "webgpu")[] | undefined;
  if (b.providers !== undefined) {
    if (name !== "onnx") v.fail("backend.providers", b.providers, 'nothing unless backend.name is "onnx"');
    if (!Array.isArray(b.providers) || b.providers.length === 0) {
      v.fail(
        "backend.providers",
        b.providers,
        'a non-empty list of "webgpu", "cuda", "cpu", e.g. ["webgpu"]',
      );
    }
    providers = b.providers.map((p, i) => v.oneOf(`backend.providers[${i}]`, p, ["cpu", "cuda", "webgpu"]));
  }
  return {
    name,
    ...(engine === undefined ? {} : { engine }),
    ...(threads === undefined ? {} : { threads }),
    ...(providers === undefined ? {} : { providers }),
  };
}

export type { TrainingSpec } from "./training-config.js";
