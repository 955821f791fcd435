import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTokenizer } from "@tunekit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrainConfig } from "./config/train-config.js";
import { EXIT, runCli } from "./run-cli.js";
import { prepareCausalLmRun } from "./setup/causal-lm-run.js";
import { captureIo } from "./testing/capture-io.js";
import { TINY_DECODER_IDS, writeTinyDecoder } from "./testing/tiny-decoder.js";

// `tunekit train` on a decoder: a tiny Llama folder with a byte-level BPE tokenizer and a ChatML
// template (written here), chat rows as JSONL, full fine-tuning and LoRA, then `tunekit generate`.
let dir = "";
const ANSWERS: Record<string, string> = { ab: "yes", cd: "no", ef: "yes", gh: "no", ij: "yes", kl: "no" };
const chatRow = (q: string, a: string): string =>
  JSON.stringify({
    messages: [
      { role: "user", content: q },
      { role: "assistant", content: a },
    ],
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-causal-lm-"));
  await writeTinyDecoder(join(dir, "base"));
  const rows = Object.entries(ANSWERS).map(([q, a]) => chatRow(q, a));
  await writeFile(join(dir, "train.jsonl"), `${rows.join("\n")}\n`);
  await writeFile(join(dir, "dev.jsonl"), `${rows.slice(0, 4).join("\n")}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(strategy: unknown, output: string): Record<string, unknown> {
  return {
    model: { path: "base" },
    data: { jsonl: { train: "train.jsonl", validation: "dev.jsonl" }, format: "chat" },
    strategy,
    training: { epochs: 5, batchSize: 3, lr: 3e-2, schedule: "constant", maxLength: 48, weightDecay: 0 },
    output,
  };
}

async function cli(args: string[], expected: number = EXIT.ok) {
  const io = captureIo({ cwd: dir });
  const code = await runCli(args, io);
  expect(code, io.err()).toBe(expected);
  return { out: io.out(), err: io.err() };
}

async function train(name: string, strategy: unknown) {
  await writeFile(join(dir, `${name}.json`), JSON.stringify(config(strategy, name)));
  const { out, err } = await cli(["train", `${name}.json`, "--json"]);
  return { summary: JSON.parse(out), err };
}

const PROMPT = "<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\n";

describe("tunekit train on a causal LM", () => {
  it("labels only the assistant turns (-100 on the template and the user turn)", async () => {
    const cfg = parseTrainConfig(config("full", "unused"), { source: "c.json", configDir: dir, cwd: dir });
    expect(cfg.task).toBe("causal-lm");
    expect(cfg.tokenizer).toBe(join(dir, "base")); // defaults to the model folder
    const tokenizer = await loadTokenizer(cfg.tokenizer);
    const run = await prepareCausalLmRun(cfg, tokenizer);
    expect(run.train.lengths).toHaveLength(6);
    const ids = run.train.ids[0]!;
    const labels = run.train.tokenLabels![0]!;
    const supervised = Array.from(ids).filter((_, t) => labels[t] !== -100);
    expect(tokenizer.decode(supervised)).toBe("yes<|im_end|>\n");
    const prompt = tokenizer.decode(Array.from(ids).filter((_, t) => labels[t] === -100));
    expect(prompt).toBe("<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\n");
    expect(run.evalData?.lengths).toHaveLength(4);
  });

  it("full fine-tuning lowers the validation loss, reports perplexity, and tunekit generate runs the model", async () => {
    const { summary, err } = await train("full", "full");
    expect(err).toMatch(/train train\.jsonl: 6 chat rows, 27 supervised tokens/);
    expect(summary).toMatchObject({ ok: true, task: "causal-lm", savedAs: "plain", strategy: "full" });
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses).toHaveLength(5);
    expect(losses.at(-1)).toBeLessThan(losses[0] * 0.8);
    expect(summary.evaluation.metrics.perplexity).toBeCloseTo(Math.exp(summary.evaluation.loss), 6);
    const saved = JSON.parse(await readFile(join(dir, "full", "model", "config.json"), "utf8"));
    expect(saved).toMatchObject({ model_type: "llama", vocab_size: TINY_DECODER_IDS.vocabSize });
    const gen = await cli(["generate", "full/model", "--prompt", PROMPT, "--max-new-tokens", "4", "--json"]);
    const g = JSON.parse(gen.out);
    expect(g).toMatchObject({ ok: true, command: "generate" });
    expect(g.tokens.length).toBeGreaterThan(0);
  });

  it("LoRA on q_proj/v_proj saves the base and a PEFT CAUSAL_LM adapter that tunekit generate applies", async () => {
    const strategy = { method: "lora", r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] };
    const { summary, err } = await train("lora", strategy);
    expect(summary).toMatchObject({ savedAs: "adapted", strategy: "lora" });
    expect(err).toMatch(/tunekit generate lora\/model --adapter lora\/adapter/);
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    const adapter = JSON.parse(await readFile(join(dir, "lora", "adapter", "adapter_config.json"), "utf8"));
    expect(adapter).toMatchObject({
      task_type: "CAUSAL_LM",
      target_modules: expect.arrayContaining(["q_proj"]),
    });
    const args = ["generate", "lora/model", "--prompt", PROMPT, "--max-new-tokens", "4", "--json"];
    const withAdapter = JSON.parse((await cli([...args, "--adapter", "lora/adapter"])).out);
    expect(withAdapter).toMatchObject({ ok: true, adapter: "lora/adapter" });
    expect(withAdapter.tokens.length).toBeGreaterThan(0);
  });
});
