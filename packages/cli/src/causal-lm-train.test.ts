import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadTokenizer } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { parseTrainConfig } from "./config/train-config.js";
import { EXIT } from "./run-cli.js";
import { prepareCausalLmRun } from "./setup/causal-lm-run.js";
import { cliRun, testDir } from "./testing/cli-run.js";
import { chatRow, TINY_DECODER_IDS, writeTinyDecoder } from "./testing/tiny-decoder.js";

// `tunekit train` on a decoder: a tiny Llama folder with a byte-level BPE tokenizer and a ChatML
// template (written here), chat rows as JSONL, full fine-tuning and LoRA, then `tunekit generate`.
const ANSWERS: Record<string, string> = { ab: "yes", cd: "no", ef: "yes", gh: "no", ij: "yes", kl: "no" };
const tmp = testDir("tunekit-causal-lm-", async (dir) => {
  await writeTinyDecoder(join(dir, "base"));
  const rows = Object.entries(ANSWERS).map(([q, a]) => chatRow(q, a));
  await writeFile(join(dir, "train.jsonl"), `${rows.join("\n")}\n`);
  await writeFile(join(dir, "dev.jsonl"), `${rows.slice(0, 4).join("\n")}\n`);
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

const cli = (args: string[], expected?: number) => cliRun(args, expected, { cwd: tmp.path });

async function train(name: string, strategy: unknown, flags: string[] = []) {
  await writeFile(join(tmp.path, `${name}.json`), JSON.stringify(config(strategy, name)));
  const { out, err } = await cli(["train", `${name}.json`, "--json", ...flags]);
  return { summary: JSON.parse(out), err };
}

const PROMPT = "<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\n";

describe("tunekit train on a causal LM", () => {
  it("labels only the assistant turns (-100 on the template and the user turn)", async () => {
    const cfg = parseTrainConfig(config("full", "unused"), {
      source: "c.json",
      configDir: tmp.path,
      cwd: tmp.path,
    });
    expect(cfg.task).toBe("causal-lm");
    expect(cfg.tokenizer).toBe(join(tmp.path, "base")); // defaults to the model folder
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

  it("prompt-completion rows end with EOS, labelled on the completion; data.pack packs them", async () => {
    const rows = Object.entries(ANSWERS).map(([q, a]) => JSON.stringify({ prompt: `${q}?`, completion: a }));
    await writeFile(join(tmp.path, "pc.jsonl"), `${rows.join("\n")}\n`);
    const raw = { ...config("full", "unused"), data: { jsonl: "pc.jsonl", maxRows: { train: 5 } } };
    const cfg = parseTrainConfig(raw, { source: "c.json", configDir: tmp.path, cwd: tmp.path });
    const tokenizer = await loadTokenizer(cfg.tokenizer);
    const plain = await prepareCausalLmRun(cfg, tokenizer);
    expect(plain.train.lengths).toHaveLength(5);
    expect(plain.evalData).toBeUndefined();
    const ids = Array.from(plain.train.ids[0]!);
    const labels = plain.train.tokenLabels![0]!;
    expect(ids.at(-1)).toBe(TINY_DECODER_IDS.imEnd);
    expect(tokenizer.decode(ids.filter((_, t) => labels[t] !== -100))).toBe("yes<|im_end|>");
    const packedCfg = parseTrainConfig(
      { ...raw, data: { ...raw.data, pack: true } },
      { source: "c.json", configDir: tmp.path, cwd: tmp.path },
    );
    const packed = await prepareCausalLmRun(packedCfg, tokenizer);
    expect(packed.train.lengths.length).toBeLessThan(5);
    expect(packed.train.segmentIds).toBeDefined();
    const total = (d: typeof plain.train) => d.lengths.reduce((a, b) => a + b, 0);
    expect(total(packed.train)).toBe(total(plain.train));
  });

  it("rows that keep no supervised token within training.maxLength are an error naming the file and the limit", async () => {
    await writeFile(
      join(tmp.path, "alpaca.jsonl"),
      `${JSON.stringify({ instruction: "ab", output: "yes" })}\n`,
    );
    const raw = { ...config("full", "unused"), data: { jsonl: "alpaca.jsonl" } };
    const cfg = parseTrainConfig(raw, { source: "c.json", configDir: tmp.path, cwd: tmp.path });
    const run = prepareCausalLmRun(cfg, await loadTokenizer(cfg.tokenizer));
    await expect(run).rejects.toMatchObject({ code: "DATA_INVALID" });
    await expect(run).rejects.toThrow(
      /data\.jsonl\.train \(alpaca\.jsonl\): .*raise maxLength.*training\.maxLength is 48/,
    );
  });

  it("full fine-tuning lowers the validation loss, reports perplexity; tunekit generate answers in the trained format", async () => {
    const { summary, err } = await train("full", "full", ["--epochs", "10"]);
    expect(err).toMatch(
      /train train\.jsonl: 6 chat rows \(loss on the assistant turns\), 27 supervised tokens/,
    );
    expect(summary).toMatchObject({ ok: true, task: "causal-lm", savedAs: "plain", strategy: "full" });
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses).toHaveLength(10);
    expect(losses.at(-1)).toBeLessThan(losses[0] * 0.5);
    expect(summary.evaluation.metrics.perplexity).toBeCloseTo(Math.exp(summary.evaluation.loss), 6);
    const saved = JSON.parse(await readFile(join(tmp.path, "full", "model", "config.json"), "utf8"));
    expect(saved).toMatchObject({ model_type: "llama", vocab_size: TINY_DECODER_IDS.vocabSize });
    const gen = await cli(["generate", "full/model", "--prompt", PROMPT, "--max-new-tokens", "4", "--json"]);
    // the trained model answers in the trained format (a reply, then <|im_end|>); the base does not
    expect(JSON.parse(gen.out)).toMatchObject({ ok: true, finishReason: "stop-token" });
    expect(["yes", "no"]).toContain(JSON.parse(gen.out).text);
    const base = await cli(["generate", "base", "--prompt", PROMPT, "--max-new-tokens", "4", "--json"]);
    expect(JSON.parse(base.out).finishReason).toBe("length");
  });

  it("LoRA on q_proj/v_proj saves the base and a PEFT CAUSAL_LM adapter that tunekit generate applies", async () => {
    const strategy = { method: "lora", r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] };
    const { summary, err } = await train("lora", strategy);
    expect(summary).toMatchObject({ savedAs: "adapted", strategy: "lora" });
    expect(err).toMatch(/tunekit generate lora\/model --adapter lora\/adapter/);
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    const adapter = JSON.parse(
      await readFile(join(tmp.path, "lora", "adapter", "adapter_config.json"), "utf8"),
    );
    expect(adapter).toMatchObject({
      task_type: "CAUSAL_LM",
      target_modules: expect.arrayContaining(["q_proj"]),
    });
    const args = ["generate", "lora/model", "--prompt", PROMPT, "--max-new-tokens", "4", "--json"];
    const withAdapter = JSON.parse((await cli([...args, "--adapter", "lora/adapter"])).out);
    expect(withAdapter).toMatchObject({ ok: true, adapter: "lora/adapter" });
    expect(withAdapter.tokens.length).toBeGreaterThan(0);
  });

  it("trains and evaluates on packed rows (data.pack)", async () => {
    const raw = config("full", "packed");
    await writeFile(
      join(tmp.path, "packed.json"),
      JSON.stringify({
        ...raw,
        data: { ...(raw.data as object), pack: true },
        training: { ...(raw.training as object), maxLength: 64 },
      }),
    );
    const summary = JSON.parse((await cli(["train", "packed.json", "--json"])).out);
    const losses = summary.evaluations.map((e: { loss: number }) => e.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    expect(summary.evaluation.rows).toBe(2); // 4 validation rows of 25-26 tokens packed 2 by 2 (≤ 64 tokens)
  });

  it("--resume continues a decoder run from its checkpoint", async () => {
    await writeFile(join(tmp.path, "resume.json"), JSON.stringify(config("full", "resume")));
    const first = JSON.parse((await cli(["train", "resume.json", "--max-steps", "2", "--json"])).out);
    expect(first.steps).toBe(2);
    const args = [
      "train",
      "resume.json",
      "--max-steps",
      "4",
      "--resume",
      "--ignore-config-mismatch",
      "--json",
    ];
    const second = JSON.parse((await cli(args)).out);
    expect(second).toMatchObject({ steps: 4, task: "causal-lm" });
    expect(second.evaluations.map((e: { step: number }) => e.step)).toEqual([2, 4]);
  });

  it("merge folds a decoder LoRA run into a plain folder that generates like base + adapter", async () => {
    const merged = JSON.parse((await cli(["merge", "lora", "--out", "lora-merged", "--json"])).out);
    expect(merged).toMatchObject({ ok: true, command: "merge", peftType: "LORA" });
    expect(merged.maxAbsDifference).toBeLessThan(1e-4);
    const prompt = ["--prompt-ids", "260,117,115,101,114,10", "--max-new-tokens", "6", "--json"];
    const adapted = JSON.parse(
      (await cli(["generate", "lora/model", "--adapter", "lora/adapter", ...prompt])).out,
    );
    const plain = JSON.parse((await cli(["generate", "lora-merged", ...prompt])).out);
    expect(plain.tokens).toEqual(adapted.tokens);
    const { err } = await cli(["merge", "full", "--out", "full-merged"], EXIT.usageError);
    expect(err).toMatch(/without adapter files.*only a LoRA or IA3 run has an adapter to merge/);
  });

  it("evaluate and predict on a decoder run say to use tunekit generate; stages refuse decoders", async () => {
    const runs = [
      ["evaluate", "full"],
      ["evaluate", "lora"],
      ["predict", "full", "--out", "p.jsonl"],
    ];
    const stages = {
      model: { path: "base" },
      stages: [{ data: { jsonl: "train.jsonl" } }, { data: { jsonl: "dev.jsonl" } }],
      training: { epochs: 1 },
      output: "stages",
    };
    await writeFile(join(tmp.path, "stages.json"), JSON.stringify(stages));
    const { err: stageErr } = await cli(["train", "stages.json"], EXIT.usageError);
    expect(stageErr).toMatch(/stages\[0\].*a decoder .* trains in one run without stages/);
    for (const args of runs) {
      const { err } = await cli(args, EXIT.usageError);
      expect(err).toMatch(/CONFIG_INVALID.*causal LM.*tunekit generate OUTPUT\/model/);
    }
  });
});
