import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { generate, loadCausalLmCheckpoint, loadTokenizer, type Tokenizer } from "@tunekit/core";
import { type CliCommand, type CommandContext, intFlag, stringFlag, UsageError } from "../command.js";
import { createBackend } from "../setup/backend-setup.js";
import { loadDecoderAdapter } from "../setup/decoder-adapter.js";

/** `tunekit generate MODEL_DIR --prompt TEXT`: continues a prompt with a causal LM (optionally with an adapter). */
export const generateCommand: CliCommand = {
  name: "generate",
  summary:
    "continue a prompt with a Llama / Mistral / Qwen2 / GPT-2 causal LM (base, or base + PEFT adapter)",
  usage: "tunekit generate MODEL_DIR (--prompt TEXT | --prompt-ids 1,2,3) [options]",
  help: [
    "MODEL_DIR is a Hugging Face causal-LM folder (config.json, model.safetensors or shards,",
    "tokenizer.json for --prompt). Prints the continuation (stdout), or with --json one object",
    "with the prompt ids, the new token ids, the text and why it stopped. Greedy by default;",
    "a temperature > 0 samples (seeded, reproducible). Stops at the model's eos_token_id, at",
    "--stop strings or after --max-new-tokens.",
    "",
    "options:",
    "  --prompt TEXT          the prompt, tokenized with MODEL_DIR's tokenizer",
    "  --prompt-ids IDS       the prompt as comma-separated token ids (no tokenizer needed)",
    "  --max-new-tokens N     at most N new tokens (default 32)",
    "  --temperature T        0 = greedy (default), > 0 samples",
    "  --top-k K              sample among the K most likely tokens (0 = all)",
    "  --top-p P              sample from the smallest set of tokens with mass ≥ P (default 1)",
    "  --seed S               sampling seed (default 0)",
    "  --stop TEXT            stop when the text contains TEXT (repeatable; needs a tokenizer)",
    "  --adapter PEFT_DIR     apply a PEFT adapter (adapter_config.json + adapter_model.safetensors)",
    "  --backend NAME         onnx (default) or tfjs",
  ],
  options: {
    prompt: { type: "string" },
    "prompt-ids": { type: "string" },
    "max-new-tokens": { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    "top-p": { type: "string" },
    seed: { type: "string" },
    stop: { type: "string", multiple: true },
    adapter: { type: "string" },
    backend: { type: "string" },
  },
  positionals: 1,
  run: runGenerate,
};

function numberFlag(
  ctx: CommandContext,
  name: string,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  const v = stringFlag(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`--${name} is ${JSON.stringify(v)}; expected ${expected}`, "generate");
  }
  return n;
}

function parseIds(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    throw new UsageError(
      `--prompt-ids is ${JSON.stringify(text)}; expected comma-separated token ids, e.g. --prompt-ids 1,17,42`,
      "generate",
    );
  }
  return parts.map(Number);
}

async function runGenerate(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const modelDir = resolve(io.cwd, ctx.positionals[0]!);
  const promptText = stringFlag(ctx, "prompt");
  const promptIdsFlag = stringFlag(ctx, "prompt-ids");
  if ((promptText === undefined) === (promptIdsFlag === undefined)) {
    throw new UsageError("generate needs exactly one of --prompt TEXT or --prompt-ids 1,2,3", "generate");
  }
  const stops = (ctx.flags.stop as string[] | undefined) ?? [];
  const backendName = stringFlag(ctx, "backend", ["onnx", "tfjs"]) ?? "onnx";
  const temperature = numberFlag(ctx, "temperature", (n) => n >= 0, "a number ≥ 0 (0 = greedy)");
  const topK = numberFlag(
    ctx,
    "top-k",
    (n) => Number.isInteger(n) && n >= 0,
    "an integer ≥ 0 (0 = no limit)",
  );
  const topP = numberFlag(ctx, "top-p", (n) => n > 0 && n <= 1, "a number in (0, 1]");
  const seed = numberFlag(ctx, "seed", (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0");
  const maxNewTokens = intFlag(ctx, "max-new-tokens");

  const hasTokenizer =
    existsSync(join(modelDir, "tokenizer.json")) || existsSync(join(modelDir, "vocab.txt"));
  let tokenizer: Tokenizer | undefined;
  if (hasTokenizer) tokenizer = await loadTokenizer(modelDir);
  if (tokenizer === undefined && (promptText !== undefined || stops.length > 0)) {
    throw new UsageError(
      `${ctx.positionals[0]} has no tokenizer.json, so --prompt and --stop cannot be used; pass the prompt as --prompt-ids 1,2,3`,
      "generate",
    );
  }
  const promptIds = promptText !== undefined ? tokenizer!.encode(promptText).ids : parseIds(promptIdsFlag!);
  const { model: base } = await loadCausalLmCheckpoint(modelDir);
  const adapterDir = stringFlag(ctx, "adapter");
  const model =
    adapterDir === undefined
      ? base
      : await loadDecoderAdapter(base, resolve(io.cwd, adapterDir), (w) => io.stderr(`warning: ${w}\n`));
  const backend = await createBackend({ name: backendName as "onnx" | "tfjs" }, (line) =>
    io.stderr(`${line}\n`),
  );
  let result: Awaited<ReturnType<typeof generate>>;
  try {
    result = await generate(model, backend, [promptIds], {
      ...(maxNewTokens === undefined ? {} : { maxNewTokens }),
      ...(temperature === undefined ? {} : { temperature }),
      ...(topK === undefined ? {} : { topK }),
      ...(topP === undefined ? {} : { topP }),
      ...(seed === undefined ? {} : { seed }),
      ...(stops.length > 0 ? { stopStrings: stops } : {}),
      ...(tokenizer === undefined ? {} : { tokenizer }),
    });
  } finally {
    backend.dispose();
  }
  const out = result.sequences[0]!;
  if (ctx.json) {
    io.stdout(
      `${JSON.stringify({
        ok: true,
        command: "generate",
        promptIds,
        tokens: out.tokens,
        ...(out.text === undefined ? {} : { text: out.text }),
        finishReason: out.finishReason,
        backend: backendName,
        ...(adapterDir === undefined ? {} : { adapter: adapterDir }),
      })}\n`,
    );
  } else {
    io.stdout(`${out.text ?? out.tokens.join(" ")}\n`);
  }
  return 0;
}
