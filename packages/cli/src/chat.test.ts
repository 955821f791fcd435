import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CausalLm,
  generate,
  loadCausalLmCheckpoint,
  loadTokenizer,
  type Tokenizer,
} from "@tunekit/core";
import { type ChatMessage, ChatTemplate } from "@tunekit/core/data";
import { lora, saveAdapter } from "@tunekit/strategies";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { createBackend } from "./setup/backend-setup.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO } from "./testing/small-run.js";
import { TINY_DECODER_IDS, writeTinyDecoder } from "./testing/tiny-decoder.js";

// tunekit chat on the tiny byte-level Llama with a ChatML template: stdin lines are user turns,
// each reply is what generate() gives for the conversation rendered with the template (onnx,
// greedy, stopped at <|im_end|>), history is kept, /reset clears it, /exit ends, and the oldest
// turns are dropped to fit the context.
let dir = "";
let base = "";
let tokenizer: Tokenizer;
let template: ChatTemplate;
let model: CausalLm;
const NEW = 6;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-chat-"));
  base = join(dir, "base");
  await writeTinyDecoder(base);
  tokenizer = await loadTokenizer(base);
  const path = join(base, "tokenizer_config.json");
  template = ChatTemplate.fromTokenizerConfig(JSON.parse(await readFile(path, "utf8")), path);
  model = (await loadCausalLmCheckpoint(base)).model;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const promptIds = (messages: readonly ChatMessage[]): number[] =>
  tokenizer.tokenize(template.render(messages, { addGenerationPrompt: true }));

async function reply(messages: readonly ChatMessage[], lm: CausalLm = model): Promise<string> {
  const backend = await createBackend({ name: "onnx" }, () => {});
  try {
    const r = await generate(lm, backend, [promptIds(messages)], {
      maxNewTokens: NEW,
      stopTokenIds: [TINY_DECODER_IDS.imEnd],
      tokenizer,
    });
    return r.sequences[0]!.text!;
  } finally {
    backend.dispose();
  }
}

async function chat(args: string[], stdin: string, expected: number = EXIT.ok) {
  const io = { ...captureIo({ cwd: REPO }), readStdin: async () => stdin };
  const code = await runCli(["chat", base, "--max-new-tokens", String(NEW), ...args], io);
  expect(code, io.err()).toBe(expected);
  return { out: io.out(), err: io.err() };
}

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

describe("tunekit chat", () => {
  it("answers each piped line with the template-rendered history; /reset clears it, /exit ends", async () => {
    const r0 = await reply([user("hello")]);
    const r1 = await reply([user("hello"), assistant(r0), user("how are you")]);
    const r2 = await reply([user("hi again")]);
    const stdin = "hello\n\nhow are you\n/reset\nhi again\n/exit\nnever read\n";
    const json = JSON.parse((await chat(["--json"], stdin)).out);
    expect(json.turns.map((t: { user: string; reply: string }) => [t.user, t.reply])).toEqual([
      ["hello", r0],
      ["how are you", r1],
      ["hi again", r2],
    ]);
    expect(json.turns[1].promptTokens).toBe(
      promptIds([user("hello"), assistant(r0), user("how are you")]).length,
    );
    // streamed: the replies on stdout as they are generated, notices on stderr
    const { out, err } = await chat([], stdin);
    expect(out).toBe(`${r0}\n${r1}\n${r2}\n`);
    expect(err).toContain("(history cleared)");
  });

  it("drops the oldest turns when prompt + reply would not fit the context; skips a message that never fits", async () => {
    const r0 = await reply([user("first question")]);
    const full = promptIds([user("first question"), assistant(r0), user("second")]).length;
    const context = full + NEW - 1; // one token short: the first exchange must go
    const r1 = await reply([user("second")]);
    const json = JSON.parse(
      (await chat(["--json", "--context", String(context)], "first question\nsecond\n")).out,
    );
    expect(json.turns[1]).toMatchObject({ user: "second", reply: r1, droppedTurns: 1 });
    const { out, err } = await chat(["--context", String(NEW + 4)], `${"long ".repeat(20)}\n`);
    expect(out).toBe("");
    expect(err).toMatch(/message skipped: its prompt has \d+ tokens, more than the 4/);
  });

  it("--adapter chats with base + PEFT adapter; a model without a chat template is a usage error", async () => {
    const adapted = lora({ r: 2, alpha: 8, seed: 1 }).apply(model);
    for (const [name, p] of adapted.namedParameters()) if (name.includes("lora_B")) p.value.data.fill(0.5);
    const adapterDir = join(dir, "adapter");
    await saveAdapter(adapted, adapterDir);
    const want = await reply([user("hello")], adapted);
    expect(want).not.toBe(await reply([user("hello")]));
    const json = JSON.parse((await chat(["--json", "--adapter", adapterDir], "hello\n")).out);
    expect(json.turns[0].reply).toBe(want);

    const io = { ...captureIo({ cwd: REPO }), readStdin: async () => "hi\n" };
    const code = await runCli(["chat", "fixtures/generation/llama-2l-h32-kv2"], io);
    expect(code).toBe(EXIT.usageError);
    expect(io.err()).toMatch(/has no tokenizer_config.json, so it has no chat template/);
  });
});
