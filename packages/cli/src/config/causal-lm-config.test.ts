import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError, type TunekitError } from "@tunekit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDecoderFolder } from "./causal-lm-config.js";
import { parseTrainConfig } from "./train-config.js";

// A folder whose config.json is a Llama one (only config.json is read while parsing).
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-causal-config-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "qwen2", vocab_size: 10 }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const where = () => ({ source: "train.json", configDir: dir, cwd: dir });
const decoder = () => ({
  model: { path: "." },
  data: { jsonl: { train: "data/train.jsonl", validation: "data/dev.jsonl" }, baseDir: "." },
  training: { epochs: 1 },
  output: "runs/x",
});

function errorOf(raw: unknown): TunekitError {
  try {
    parseTrainConfig(raw, where());
  } catch (e) {
    if (isTunekitError(e)) return e;
    throw e;
  }
  throw new Error("expected a TunekitError");
}

describe("causal-LM configs", () => {
  it("a Llama-family model.path with data.jsonl is a causal-LM run: defaults, tokenizer from the model folder", () => {
    const c = parseTrainConfig(decoder(), where());
    expect(c.task).toBe("causal-lm");
    expect(c.tokenizer).toBe(dir);
    expect(c.data.causalLm).toEqual({
      splits: { train: "data/train.jsonl", validation: "data/dev.jsonl" },
      assistantOnly: true,
      completionOnly: true,
      pack: false,
    });
    const set = parseTrainConfig(
      {
        ...decoder(),
        task: "causal-lm",
        tokenizer: "tok",
        data: { jsonl: "t.jsonl", format: "alpaca", completionOnly: false, pack: true },
      },
      where(),
    );
    expect(set.tokenizer).toBe(join(dir, "tok"));
    expect(set.data.causalLm).toEqual({
      splits: { train: "t.jsonl" },
      format: "alpaca",
      assistantOnly: true,
      completionOnly: false,
      pack: true,
    });
  });

  it("isDecoderFolder reads config.json; a missing or BERT folder is not one", async () => {
    expect(isDecoderFolder(dir)).toBe(true);
    expect(isDecoderFolder(join(dir, "missing"))).toBe(false);
  });

  it("errors name the key path, what was received and what is expected", () => {
    const cases: [unknown, RegExp][] = [
      [{ ...decoder(), task: "regression" }, /task.*"regression".*"causal-lm" or nothing.*Llama-family/],
      [
        { ...decoder(), data: { config: "d.json" } },
        /data\.jsonl.*causal-LM JSONL files.*model\.path is a Llama/,
      ],
      [
        { ...decoder(), data: { jsonl: { validation: "d.jsonl" } } },
        /data\.jsonl\.train.*a JSONL file to train on/,
      ],
      [{ ...decoder(), data: { jsonl: { train: "t.jsonl", dev: "d" } } }, /data\.jsonl.*dev/],
      [
        { ...decoder(), data: { jsonl: "t.jsonl", format: "sharegpt" } },
        /data\.format.*"sharegpt".*"chat", "alpaca", "prompt-completion", "text"/,
      ],
      [{ ...decoder(), data: { jsonl: "t.jsonl", pack: "yes" } }, /data\.pack.*true or false/],
      [
        { ...decoder(), data: { jsonl: "t.jsonl", config: "d.json" } },
        /data\.config.*left out when data\.jsonl/,
      ],
      [
        { ...decoder(), model: { random: { layers: 1 } }, tokenizer: "tok" },
        /model\.random.*model\.path \(a Llama \/ Mistral \/ Qwen2 \/ GPT-2 folder\)/,
      ],
      [
        { ...decoder(), model: { path: "missing" }, task: "causal-lm", tokenizer: "tok" },
        /model\.path.*a Llama \/ Mistral \/ Qwen2 \/ GPT-2 folder.*task is "causal-lm"/,
      ],
      [
        {
          model: { random: {} },
          tokenizer: "t",
          data: { config: "d.json", pack: true },
          training: { epochs: 1 },
          output: "o",
        },
        /data\.pack.*nothing unless data\.jsonl/,
      ],
      [
        {
          model: { random: {} },
          tokenizer: "t",
          tasks: [{ name: "a", data: { jsonl: "t.jsonl" } }],
          training: { epochs: 1 },
          output: "o",
        },
        /tasks\[0\]\.data\.jsonl.*a mixture trains BERT heads/,
      ],
    ];
    for (const [raw, message] of cases) {
      const e = errorOf(raw);
      expect(e.code).toBe("CONFIG_INVALID");
      expect(e.message).toMatch(message);
    }
  });
});
