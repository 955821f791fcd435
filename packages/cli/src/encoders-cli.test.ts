import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// tunekit train on the other BERT-architecture encoders: the tiny encoder parity
// fixtures (made with transformers; 16 positions, so 12 tokens) with LoRA on PEFT's default
// targets for each, 2 steps; the saved model keeps its architecture.
const quick = (maxLength: number): string[] => [
  ...smallRunFlags({ train: 16, maxLength }),
  "--max-steps",
  "2",
];

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const io = captureIo({ cwd: REPO });
  expect(await runCli([...args, "--json"], io), io.err()).toBe(EXIT.ok);
  return JSON.parse(io.out().trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("tunekit train on RoBERTa, XLM-RoBERTa, DistilBERT and ELECTRA folders", () => {
  // RoBERTa-family positions start after padding_idx 1: 15 and 13 positions hold 12 and 10 tokens;
  // they tokenize with the byte-level BPE / Unigram fixtures (fixtures/tokenizers)
  for (const [folder, type, target, shown, maxLength, tokenizer] of [
    ["distilbert-2l-h24-3labels-b3-seq9", "distilbert", "q_lin", "DistilBERT", 12, undefined],
    ["electra-2l-h32-e16-3labels-b3-seq9", "electra", "query", "ELECTRA", 12, undefined],
    ["roberta-2l-h24-3labels-b3-seq9", "roberta", "query", "RoBERTa", 12, "fixtures/tokenizers/roberta-bpe"],
    [
      "xlm-roberta-1l-h16-2labels-b2-seq7",
      "xlm-roberta",
      "value",
      "XLM-RoBERTa",
      10,
      "fixtures/tokenizers/xlmr-unigram",
    ],
  ] as const) {
    it(`${type}: trains LoRA on ${target}, saves a ${type} folder, evaluates and predicts`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `tunekit-${type}-`));
      const model = join(REPO, "fixtures/parity", folder);
      await cli([
        "train",
        "examples/sst2-tiny.json",
        ...quick(maxLength),
        ...(tokenizer === undefined ? [] : ["--set", `tokenizer=${JSON.stringify(join(REPO, tokenizer))}`]),
        "--set",
        'strategy={"method":"lora","r":2}',
        "--set",
        `model={"path":${JSON.stringify(model)},"resizeEmbeddings":true}`,
        "--output",
        join(dir, "run"),
      ]);
      const adapter = JSON.parse(
        await readFile(join(dir, "run", "adapter", "adapter_config.json"), "utf8"),
      ) as {
        target_modules: string[];
      };
      expect(adapter.target_modules).toContain(target);
      const saved = JSON.parse(await readFile(join(dir, "run", "model", "config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(saved.model_type).toBe(type);
      // the trained run scores and predicts (its own tokenizer, positions and head)
      const scored = (await cli(["evaluate", join(dir, "run"), "--split", "validation"])) as Record<
        string,
        unknown
      >;
      expect(JSON.stringify(scored)).toMatch(/accuracy/);
      await cli(["predict", join(dir, "run"), "--split", "validation", "--out", join(dir, "p.jsonl")]);
      const rows = (await readFile(join(dir, "p.jsonl"), "utf8")).trim().split("\n");
      expect(rows.length).toBeGreaterThan(0);
      expect(Object.keys(JSON.parse(rows[0]!) as object)).toContain("prediction");
      const info = (await cli(["info", model])) as { architecture: Record<string, unknown> };
      expect(info.architecture.modelType).toBe(type);
      const io = captureIo({ cwd: REPO });
      expect(await runCli(["info", model], io), io.err()).toBe(EXIT.ok);
      expect(io.out()).toMatch(new RegExp(`${shown}: \\d layers`));
    }, 120_000);
  }
});
