import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensorsFile } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { cliRun, testDir } from "./testing/cli-run.js";
import { chatRow, writeTinyGpt2 } from "./testing/tiny-decoder.js";

// `tunekit train` / `generate` / `merge` / `chat` on a GPT-2 folder (Conv1D weights, learned
// positions, tied head): full fine-tuning and LoRA with PEFT's GPT-2 default target (c_attn).
const ANSWERS: Record<string, string> = { ab: "yes", cd: "no", ef: "yes", gh: "no" };
const tmp = testDir("tunekit-gpt2-cli-", async (dir) => {
  await writeTinyGpt2(join(dir, "base"));
  const rows = Object.entries(ANSWERS).map(([q, a]) => chatRow(q, a));
  await writeFile(join(dir, "train.jsonl"), `${rows.join("\n")}\n`);
});

const cli = (args: string[], expected?: number, stdin?: string) =>
  cliRun(args, expected, { cwd: tmp.path, stdin });

async function train(name: string, strategy: unknown) {
  const config = {
    model: { path: "base" },
    data: { jsonl: { train: "train.jsonl", validation: "train.jsonl" }, format: "chat" },
    strategy,
    training: { epochs: 6, batchSize: 4, lr: 3e-2, schedule: "constant", maxLength: 32, weightDecay: 0 },
    output: name,
  };
  await writeFile(join(tmp.path, `${name}.json`), JSON.stringify(config));
  return JSON.parse((await cli(["train", `${name}.json`, "--json"])).out);
}

describe("tunekit on GPT-2", () => {
  it("full fine-tuning lowers the loss and saves a GPT-2 folder with Conv1D weights [in, out]", async () => {
    const summary = await train("full", "full");
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    const saved = JSON.parse(await readFile(join(tmp.path, "full", "model", "config.json"), "utf8"));
    expect(saved).toMatchObject({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"], n_embd: 16 });
    const { tensors } = await readSafetensorsFile(join(tmp.path, "full", "model", "model.safetensors"));
    expect(tensors.get("transformer.h.0.attn.c_attn.weight")!.shape).toEqual([16, 48]);
    const gen = [
      "generate",
      "full/model",
      "--prompt-ids",
      "260,97,98,261,10",
      "--max-new-tokens",
      "3",
      "--json",
    ];
    expect(JSON.parse((await cli(gen)).out).tokens.length).toBeGreaterThan(0);
  });

  it("LoRA targets c_attn (fan_in_fan_out), merges into a plain folder, and chats", async () => {
    await train("lora", { method: "lora", r: 2, alpha: 4 });
    const adapter = JSON.parse(
      await readFile(join(tmp.path, "lora", "adapter", "adapter_config.json"), "utf8"),
    );
    expect(adapter).toMatchObject({
      task_type: "CAUSAL_LM",
      target_modules: ["c_attn"],
      fan_in_fan_out: true,
    });
    const merged = JSON.parse((await cli(["merge", "lora", "--out", "lora-merged", "--json"])).out);
    expect(merged).toMatchObject({ peftType: "LORA", mergedModules: 2 });
    expect(merged.maxAbsDifference).toBeLessThan(1e-4);
    const ids = ["--prompt-ids", "260,97,98,261,10", "--max-new-tokens", "4", "--json"];
    const a = JSON.parse((await cli(["generate", "lora/model", "--adapter", "lora/adapter", ...ids])).out);
    const b = JSON.parse((await cli(["generate", "lora-merged", ...ids])).out);
    expect(b.tokens).toEqual(a.tokens);
    const chat = JSON.parse(
      (await cli(["chat", "lora-merged", "--max-new-tokens", "3", "--json"], EXIT.ok, "ab\ncd\n")).out,
    );
    expect(chat.turns).toHaveLength(2);
    expect(chat.contextLength).toBe(64);
  });
});
