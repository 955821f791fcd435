import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TunekitError } from "@tunekit/core";
import { isCausalLmConfigJson } from "@tunekit/core/models";
import { CAUSAL_LM_FORMATS, type CausalLmFormat } from "@tunekit/core/data";
import type { ConfigValidator } from "./validate.js";

/**
 * Causal-LM training data (`data.jsonl`): JSON Lines files per split in one of core's causal-LM
 * formats (`text`, `prompt-completion`, `alpaca`, `chat`; detected from the first row unless
 * `format` is set), where the loss goes, and whether rows are packed. Paths are relative to
 * `data.baseDir`.
 *
 * @example
 * ```ts
 * const d: CausalLmDataSpec = { splits: { train: "data/chat-train.jsonl" }, assistantOnly: true, completionOnly: true, pack: false };
 * ```
 */
export interface CausalLmDataSpec {
  readonly splits: { readonly train?: string; readonly validation?: string; readonly test?: string };
  /** Undefined: detected from each file's first row. */
  readonly format?: CausalLmFormat;
  /** Chat rows: loss on the assistant turns only (default true). */
  readonly assistantOnly: boolean;
  /** Prompt-completion and Alpaca rows: loss on the completion only (default true). */
  readonly completionOnly: boolean;
  /** Concatenate rows into rows of `training.maxLength` tokens (examples never see each other). */
  readonly pack: boolean;
}

/** Keys of `data` that only causal-LM data (`data.jsonl`) takes. */
export const CAUSAL_LM_DATA_KEYS = ["jsonl", "format", "assistantOnly", "completionOnly", "pack"] as const;

/**
 * Validates the causal-LM keys of `data` (`jsonl`, `format`, `assistantOnly`, `completionOnly`,
 * `pack`); errors are `CONFIG_INVALID` naming the key path.
 *
 * @example
 * ```ts
 * const spec = parseCausalLmData(v, { jsonl: { train: "train.jsonl" }, format: "chat" }, "data");
 * ```
 */
export function parseCausalLmData(
  v: ConfigValidator,
  d: Record<string, unknown>,
  at: string,
): CausalLmDataSpec {
  for (const key of ["config", "tokens"] as const) {
    if (d[key] !== undefined)
      v.fail(`${at}.${key}`, d[key], `to be left out when ${at}.jsonl is given (causal-LM data: use one)`);
  }
  const files =
    typeof d.jsonl === "string" ? { train: d.jsonl } : v.object(`${at}.jsonl`, d.jsonl ?? undefined);
  v.knownKeys(`${at}.jsonl`, files, ["train", "validation", "test"]);
  const splits: { train?: string; validation?: string; test?: string } = {};
  for (const k of ["train", "validation", "test"] as const) {
    const f = v.string(`${at}.jsonl.${k}`, files[k], true);
    if (f !== undefined) splits[k] = f;
  }
  if (splits.train === undefined) {
    v.fail(
      `${at}.jsonl.train`,
      undefined,
      'a JSONL file to train on, e.g. { "train": "data/chat-train.jsonl", "validation": "data/chat-dev.jsonl" }',
    );
  }
  const format = v.oneOf(`${at}.format`, d.format, CAUSAL_LM_FORMATS, true);
  const flag = (key: string): boolean => v.boolean(`${at}.${key}`, d[key], true) ?? key !== "pack";
  return {
    splits,
    ...(format === undefined ? {} : { format }),
    assistantOnly: flag("assistantOnly"),
    completionOnly: flag("completionOnly"),
    pack: flag("pack"),
  };
}

/**
 * Whether `folder/config.json` describes a Llama-family decoder (Llama, Mistral, Qwen2);
 * false when it is missing or unreadable (a BERT folder, or a path checked later).
 *
 * @example
 * ```ts
 * if (isDecoderFolder("models/smollm2-135m")) console.log("causal LM");
 * ```
 */
export function isDecoderFolder(folder: string): boolean {
  try {
    return isCausalLmConfigJson(JSON.parse(readFileSync(join(folder, "config.json"), "utf8")));
  } catch {
    return false;
  }
}

/**
 * Settles whether a config trains a decoder: `task: "causal-lm"`, `data.jsonl`, or a
 * `model.path` whose `config.json` is a Llama-family one. A decoder needs all three to agree
 * (a pre-trained folder, causal-LM data, no other task) and no `tasks` mixture; returns the task
 * (`"causal-lm"`, or the one given for a BERT config).
 *
 * @example
 * ```ts
 * const task = resolveDecoderTask(v, { model, data, task: top.task, mixture: false });
 * ```
 */
export function resolveDecoderTask<T extends string>(
  v: ConfigValidator,
  c: {
    readonly model: { readonly kind: "pretrained"; readonly path: string } | { readonly kind: "random" };
    readonly causalLm: boolean;
    readonly task: T | undefined;
    readonly mixture: boolean;
  },
): T | "causal-lm" | undefined {
  const folder = c.model.kind === "pretrained" && isDecoderFolder(c.model.path);
  if (c.task !== "causal-lm" && !c.causalLm && !folder) return c.task;
  const why = [
    c.task === "causal-lm" ? 'task is "causal-lm"' : undefined,
    c.causalLm ? "data.jsonl holds causal-LM data" : undefined,
    folder ? "model.path is a Llama-family decoder (its config.json)" : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(" and ");
  if (c.mixture) v.fail("tasks", "[...]", `no tasks mixture: ${why}, and decoders train on one data set`);
  if (c.task !== undefined && c.task !== "causal-lm")
    v.fail("task", c.task, `"causal-lm" or nothing: ${why}`);
  if (c.model.kind !== "pretrained")
    v.fail(
      "model.random",
      "{...}",
      `model.path (a Llama / Mistral / Qwen2 / GPT-2 folder): ${why}, and model.random builds a BERT`,
    );
  if (!folder)
    v.fail(
      "model.path",
      c.model.path,
      `a Llama / Mistral / Qwen2 / GPT-2 folder (config.json with model_type llama, mistral, qwen2 or gpt2): ${why}`,
    );
  if (!c.causalLm)
    v.fail(
      "data.jsonl",
      undefined,
      `causal-LM JSONL files, e.g. { "train": "data/chat-train.jsonl" }: ${why}`,
    );
  return "causal-lm";
}

/**
 * The error of a command that runs BERT models (evaluate, predict, merge, export-adapter, info)
 * given a causal-LM run or config: `CONFIG_INVALID`, saying to use `tunekit generate`.
 *
 * @example
 * ```ts
 * if (config.task === "causal-lm") throw decoderRunError(target);
 * ```
 */
export function decoderRunError(target: string): TunekitError {
  return new TunekitError(
    "CONFIG_INVALID",
    `${target} trains a causal LM (task causal-lm), and this command runs BERT models; ` +
      "run it with tunekit generate OUTPUT/model --prompt TEXT (a LoRA run: add --adapter OUTPUT/adapter)",
  );
}
