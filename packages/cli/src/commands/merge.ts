import { relative, resolve } from "node:path";
import { type HostTensor, saveBertCheckpoint } from "@tunekit/core";
import type { AnyBertModel } from "@tunekit/core/models";
import { checkMerge, maxOutputDifference, mergeAndUnload } from "@tunekit/strategies";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import { loadAdaptedRun, MERGEABLE_METHODS } from "../setup/adapted-run.js";
import { createBackend } from "../setup/backend-setup.js";
import { tokenizerFor } from "../setup/pipeline.js";
import { type DecoderMergeTarget, decoderMergeTarget, mergeDecoder } from "../setup/decoder-merge.js";
import { copyTokenizerFiles } from "../setup/run-files.js";

/**
 * Sentences of the probe batch on which `merge` compares merged and unmerged outputs.
 *
 * @example
 * ```ts
 * MERGE_PROBE_SENTENCES.length; // 4
 * ```
 */
export const MERGE_PROBE_SENTENCES = [
  "a gripping , beautifully acted film .",
  "the plot is thin and the jokes fall flat .",
  "it is neither good nor bad , just long .",
  "tunekit merges adapters into the base weights",
];

/** Merged-vs-unmerged output differences above this are reported as a warning. */
const WARN_DIFFERENCE = 1e-4;

/** `tunekit merge RUN --out DIR`: folds a LoRA / IA3 run's adapter into the base weights. */
export const mergeCommand: CliCommand = {
  name: "merge",
  summary: "fold a LoRA/IA3 run's adapter into the base weights; saves a plain Hugging Face folder",
  usage: "tunekit merge RUN_DIR|MODEL_DIR|CONFIG --out DIR [--adapter PEFT_DIR] [--json]",
  help: [
    "RUN_DIR is an output folder of tunekit train (or its model/ folder, or its config file)",
    `trained with one of: ${MERGEABLE_METHODS.join(", ")}. The adapter is folded into the base`,
    "weights (W + scale·B·A for LoRA; DoRA's magnitude; IA3's scaling), the largest",
    "merged-vs-unmerged output difference on a probe batch is printed, and DIR gets a plain",
    "Hugging Face folder (config.json, model.safetensors, tokenizer files) that any BERT loader",
    "reads: score it with tunekit evaluate RUN_DIR --model DIR.",
    "",
    "A causal LM (Llama / Mistral / Qwen2 / GPT-2) merges too: a LoRA or IA3 decoder run folder",
    "(model/ + adapter/), or a model folder with --adapter PEFT_DIR; DIR then gets a folder that",
    "tunekit generate and transformers' AutoModelForCausalLM read.",
    "",
    "options:",
    "  --out DIR        folder for the merged model (required; not the run's own model/)",
    "  --adapter DIR    a PEFT LoRA / IA3 adapter folder to merge into MODEL_DIR (a causal LM)",
  ],
  options: { out: { type: "string", short: "o" }, adapter: { type: "string" } },
  positionals: 1,
  run: runMerge,
};

async function runMerge(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const outFlag = stringFlag(ctx, "out");
  if (outFlag === undefined)
    throw new UsageError("merge needs --out DIR (where the merged model goes)", "merge");
  const target = ctx.positionals[0]!;
  const decoder = await decoderMergeTarget(target, io.cwd, stringFlag(ctx, "adapter"));
  if (decoder) return runDecoderMerge(ctx, decoder, resolve(io.cwd, outFlag));
  if (stringFlag(ctx, "adapter") !== undefined) {
    throw new UsageError(
      `--adapter needs MODEL_DIR to be a causal LM folder (config.json of a Llama / Mistral / Qwen2 / GPT-2); ${target} is not`,
      "merge",
    );
  }
  const run = await loadAdaptedRun(
    target,
    io.cwd,
    (m) => MERGEABLE_METHODS.includes(m),
    `a run of a method that can merge: ${MERGEABLE_METHODS.join(", ")} (bottleneck adapters, prefix and prompt tuning add modules or tokens that do not fold into the weights; use tunekit export-adapter for them)`,
  );
  const out = resolve(io.cwd, outFlag);
  if (out === resolve(run.modelDir) || out === resolve(run.runDir)) {
    throw new UsageError(
      `--out ${outFlag} is the run's own folder; expected a new folder, e.g. --out ${relative(io.cwd, run.runDir) || "."}-merged`,
      "merge",
    );
  }
  const tokenizer = await tokenizerFor(run.modelDir, run.config.tokenizer);
  const encoded = tokenizer.encodeBatch(MERGE_PROBE_SENTENCES, {
    maxLength: run.config.training.maxLength,
  });
  const probe: Record<string, HostTensor> = {
    input_ids: encoded.inputIds,
    attention_mask: encoded.attentionMask,
    token_type_ids: encoded.tokenTypeIds,
  };
  const backend = await createBackend(run.config.backend, (line) => io.stderr(`${line}\n`));
  let check: { mergedPaths: string[]; maxAbsDifference: number };
  let unloadedDifference: number;
  let merged: AnyBertModel;
  try {
    check = await checkMerge(run.model, backend, probe);
    merged = mergeAndUnload(run.model);
    unloadedDifference = await maxOutputDifference(run.model, merged, backend, probe);
  } finally {
    backend.dispose();
  }
  await saveBertCheckpoint(merged, out);
  const tokenizerFiles = await copyTokenizerFiles(run.config.tokenizer, out);
  return printMerge(ctx, {
    difference: Math.max(check.maxAbsDifference, unloadedDifference),
    differenceOf: "outputs",
    advice: "; check the run's weights",
    json: {
      run: run.runDir,
      method: run.method,
      out,
      mergedModules: check.mergedPaths.length,
      probe: { rows: encoded.inputIds.shape[0], tokens: encoded.inputIds.shape[1] },
      maxAbsDifference: check.maxAbsDifference,
      unloadedMaxAbsDifference: unloadedDifference,
      files: ["config.json", "model.safetensors", ...tokenizerFiles],
    },
    lines: (shown) => [
      `merged ${check.mergedPaths.length} ${run.method} layers of ${shown(run.runDir)} into the base weights`,
      `probe batch (${encoded.inputIds.shape[0]} sentences): max |merged - unmerged| output ${check.maxAbsDifference.toExponential(2)} ` +
        `(unloaded plain model: ${unloadedDifference.toExponential(2)})`,
      `saved a plain Hugging Face folder to ${shown(out)} (config.json, model.safetensors${tokenizerFiles.length ? `, ${tokenizerFiles.join(", ")}` : ""})`,
      `score it: tunekit evaluate ${shown(run.runDir)} --model ${shown(out)}`,
    ],
  });
}

async function runDecoderMerge(
  ctx: CommandContext,
  target: DecoderMergeTarget,
  out: string,
): Promise<number> {
  const { io } = ctx;
  if (out === resolve(target.baseDir) || out === resolve(target.adapterDir)) {
    throw new UsageError(`--out is the base or adapter folder; expected a new folder`, "merge");
  }
  const backend = await createBackend({ name: "onnx" }, (line) => io.stderr(`${line}\n`));
  let result: Awaited<ReturnType<typeof mergeDecoder>>;
  try {
    result = await mergeDecoder(target, out, backend, (w) => io.stderr(`warning: ${w}\n`));
  } finally {
    backend.dispose();
  }
  return printMerge(ctx, {
    difference: result.maxAbsDifference,
    differenceOf: "logits",
    advice: "",
    json: {
      base: target.baseDir,
      adapter: target.adapterDir,
      peftType: result.peftType,
      out,
      mergedModules: result.mergedModules,
      maxAbsDifference: result.maxAbsDifference,
      files: result.files,
    },
    lines: (shown) => [
      `merged ${result.mergedModules} ${result.peftType} layers of ${shown(target.adapterDir)} into ${shown(target.baseDir)}`,
      `probe batch: max |merged - adapted| logit ${result.maxAbsDifference.toExponential(2)}`,
      `saved a plain Hugging Face folder to ${shown(out)} (${result.files.join(", ")})`,
      `run it: tunekit generate ${shown(out)} --prompt TEXT`,
    ],
  });
}

/** What a merge prints: the JSON fields after `ok` and `command`, or the lines for a person. */
interface MergeOutcome {
  /** The largest merged-vs-adapted difference; above {@link WARN_DIFFERENCE} it is warned about. */
  readonly difference: number;
  /** What the difference was measured on, as the warning names it ("outputs", "logits"). */
  readonly differenceOf: string;
  /** Appended to the warning (e.g. "; check the run's weights"). */
  readonly advice: string;
  readonly json: Record<string, unknown>;
  /** The lines without `--json`; `shown` writes a path relative to the working folder. */
  readonly lines: (shown: (path: string) => string) => string[];
}

/** Warns when the merge changed the model's outputs, then prints its outcome; returns exit code 0. */
function printMerge(ctx: CommandContext, outcome: MergeOutcome): number {
  const { io } = ctx;
  if (outcome.difference > WARN_DIFFERENCE) {
    io.stderr(
      `warning: the merged model's ${outcome.differenceOf} differ from the adapter's by up to ${outcome.difference.toExponential(2)} (expected < ${WARN_DIFFERENCE})${outcome.advice}\n`,
    );
  }
  if (ctx.json) {
    io.stdout(`${JSON.stringify({ ok: true, command: "merge", ...outcome.json })}\n`);
  } else {
    const shown = (p: string): string => relative(io.cwd, p) || ".";
    io.stdout(`${outcome.lines(shown).join("\n")}\n`);
  }
  return 0;
}
