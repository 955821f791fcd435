import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { type CausalLm, loadCausalLmCheckpoint, loadTokenizer, TunekitError } from "@tunekit/core";
import { Gpt2LMHeadModel } from "@tunekit/core/models";
import { ChatTemplate } from "@tunekit/core/data";
import { type CliCommand, type CommandContext, intFlag, stringFlag, UsageError } from "../command.js";
import { createBackend } from "../setup/backend-setup.js";
import { modelContextLength, runChatSession } from "../setup/chat-session.js";
import { loadDecoderAdapter } from "../setup/decoder-adapter.js";

/** `tunekit chat MODEL_DIR`: an interactive chat with a causal LM, through its chat template. */
export const chatCommand: CliCommand = {
  name: "chat",
  summary:
    "chat with a causal LM (base, or base + PEFT adapter) through its chat template, streaming replies",
  usage: "tunekit chat MODEL_DIR [--adapter PEFT_DIR] [--system TEXT] [options]",
  help: [
    "Reads one user message per line from standard input (a terminal or a pipe), renders the",
    "conversation with the chat template of MODEL_DIR/tokenizer_config.json and streams the",
    "reply token by token. The history is kept, the oldest turns dropped when the prompt plus",
    "--max-new-tokens would not fit the model's context. Commands: /reset clears the history,",
    "/exit (or /quit, or end of input) ends the chat. With --json nothing streams; one JSON object",
    "with every turn is printed at the end.",
    "",
    "options:",
    "  --adapter PEFT_DIR     apply a PEFT adapter (LoRA, IA3, …) to the base model",
    "  --system TEXT          a system message at the start of the conversation",
    "  --max-new-tokens N     longest reply in tokens (default 128)",
    "  --context N            context length to fit (default: the model's max_position_embeddings / n_positions)",
    "  --temperature T        0 = greedy (default); > 0 samples",
    "  --top-k K, --top-p P   sampling filters",
    "  --seed N               sampling seed (default 0)",
    "  --backend NAME         onnx (default) or tfjs",
  ],
  options: {
    adapter: { type: "string" },
    system: { type: "string" },
    "max-new-tokens": { type: "string" },
    context: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    "top-p": { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
  },
  positionals: 1,
  run: runChat,
};

function realFlag(
  ctx: CommandContext,
  name: string,
  ok: (n: number) => boolean,
  want: string,
): number | undefined {
  const raw = stringFlag(ctx, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || !ok(n)) {
    throw new UsageError(`--${name} is ${JSON.stringify(raw)}; expected ${want}`, "chat");
  }
  return n;
}

/** The chat template, BOS handling and end-of-turn token of a model folder's tokenizer_config.json. */
async function chatSettings(
  modelDir: string,
  shown: string,
): Promise<{ template: ChatTemplate; addBos: boolean; eosToken: string | undefined }> {
  const path = join(modelDir, "tokenizer_config.json");
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${shown} has no tokenizer_config.json, so it has no chat template; chat needs an instruction-tuned model ` +
        "(or use tunekit generate --prompt TEXT for plain continuation)",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  const record = (json ?? {}) as Record<string, unknown>;
  if (record.chat_template === undefined || record.chat_template === null) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${path} has no chat_template; chat needs a model with one (or use tunekit generate --prompt TEXT)`,
    );
  }
  const template = ChatTemplate.fromTokenizerConfig(json, path);
  return { template, addBos: record.add_bos_token === true, eosToken: template.eosToken };
}

async function* stdinLines(ctx: CommandContext): AsyncIterable<string> {
  if (ctx.io.readStdin) {
    yield* (await ctx.io.readStdin()).split("\n");
    return;
  }
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

async function runChat(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const modelDir = resolve(io.cwd, ctx.positionals[0]!);
  const backendName = stringFlag(ctx, "backend", ["onnx", "tfjs"]) ?? "onnx";
  const maxNewTokens = intFlag(ctx, "max-new-tokens") ?? 128;
  if (maxNewTokens < 1)
    throw new UsageError(`--max-new-tokens must be at least 1, got ${maxNewTokens}`, "chat");
  const temperature = realFlag(ctx, "temperature", (n) => n >= 0, "a number ≥ 0 (0 = greedy)");
  const topK = realFlag(ctx, "top-k", (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0 (0 = no limit)");
  const topP = realFlag(ctx, "top-p", (n) => n > 0 && n <= 1, "a number in (0, 1]");
  const seed = realFlag(ctx, "seed", (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0");
  const { template, addBos, eosToken } = await chatSettings(modelDir, ctx.positionals[0]!);
  const tokenizer = await loadTokenizer(modelDir);
  const { model: base } = await loadCausalLmCheckpoint(modelDir);
  const adapterDir = stringFlag(ctx, "adapter");
  const model: CausalLm =
    adapterDir === undefined
      ? base
      : await loadDecoderAdapter(base, resolve(io.cwd, adapterDir), (w) => io.stderr(`warning: ${w}\n`));
  const contextLength = intFlag(ctx, "context") ?? modelContextLength(model);
  if (contextLength <= maxNewTokens) {
    throw new UsageError(
      `the context (${contextLength} tokens) must be longer than --max-new-tokens (${maxNewTokens}); lower --max-new-tokens`,
      "chat",
    );
  }
  const endOfTurn = eosToken === undefined ? undefined : tokenizer.tokenToId(eosToken);
  const bos = model instanceof Gpt2LMHeadModel ? model.gpt2Config.bosTokenId : model.llamaConfig.bosTokenId;
  const backend = await createBackend({ name: backendName as "onnx" | "tfjs" }, (line) =>
    io.stderr(`${line}\n`),
  );
  const interactive = io.readStdin === undefined && process.stdin.isTTY === true && !ctx.json;
  if (interactive) io.stderr("chat: /reset clears the history, /exit ends\n");
  let turns: Awaited<ReturnType<typeof runChatSession>>;
  try {
    turns = await runChatSession(
      {
        model,
        backend,
        tokenizer,
        template,
        contextLength,
        generation: {
          maxNewTokens,
          ...(temperature === undefined ? {} : { temperature }),
          ...(topK === undefined ? {} : { topK }),
          ...(topP === undefined ? {} : { topP }),
          ...(seed === undefined ? {} : { seed }),
        },
        system: stringFlag(ctx, "system"),
        ...(endOfTurn === undefined ? {} : { stopTokenIds: [endOfTurn] }),
        bosTokenId: addBos ? bos : undefined,
      },
      stdinLines(ctx),
      ctx.json ? () => {} : io.stdout,
      ctx.json ? () => {} : io.stderr,
      interactive ? () => io.stderr("> ") : () => {},
    );
  } finally {
    backend.dispose();
  }
  if (ctx.json) {
    io.stdout(
      `${JSON.stringify({
        ok: true,
        command: "chat",
        backend: backendName,
        contextLength,
        ...(adapterDir === undefined ? {} : { adapter: adapterDir }),
        turns,
      })}\n`,
    );
  }
  return 0;
}
