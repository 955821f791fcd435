import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { saveCausalLmCheckpoint } from "@tunekit/core";
import { LlamaForCausalLM, parseLlamaConfig } from "@tunekit/core/models";
import { byteLevelTokenizerJson, CHATML_TEMPLATE } from "@tunekit/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runExperiment } from "./experiment.js";
import { resultsMarkdown } from "./results-table.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A randomly initialised 1-layer Llama (hidden 16) with a byte-level tokenizer and ChatML. */
async function tinyChatLlama(folder: string): Promise<void> {
  const config = parseLlamaConfig({
    model_type: "llama",
    vocab_size: 262,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 4096,
    pad_token_id: 259,
    eos_token_id: 261,
  });
  await saveCausalLmCheckpoint(new LlamaForCausalLM(config, { seed: 5 }), folder);
  await writeFile(join(folder, "tokenizer.json"), JSON.stringify(byteLevelTokenizerJson()));
  await writeFile(
    join(folder, "tokenizer_config.json"),
    JSON.stringify({ chat_template: CHATML_TEMPLATE, eos_token: "<|im_end|>", pad_token: "<|endoftext|>" }),
  );
}

describe("the instruction-tuning experiment end to end (tiny model, a few steps)", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs every method on every task and reports scores and costs", async () => {
    dir = await mkdtemp(join(tmpdir(), "tunekit-instruct-"));
    await tinyChatLlama(dir);
    const backend = await createOnnxBackend();
    const lines: string[] = [];
    try {
      const { result } = await runExperiment({
        modelDir: dir,
        dataDir: join(ROOT, "examples/data"),
        baseDir: ROOT,
        trainTasks: ["sst2"],
        heldOut: "mrpc",
        trainRows: 8,
        devRows: 3,
        lora: {
          r: 2,
          alpha: 4,
          targetModules: ["q_proj", "v_proj"],
          lr: 1e-2,
          batchSize: 4,
          epochs: 1,
          maxLength: 512,
          seed: 1,
        },
        generation: { batchSize: 4, maxNewTokens: 2 },
        backend,
        seed: 1,
        instructionFormat: "chat",
        log: (line) => lines.push(line),
      });
      expect(result.tasks).toEqual([
        { name: "sst2", heldOut: false, trainRows: 8, devRows: 3 },
        { name: "mrpc", heldOut: true, trainRows: 8, devRows: 3 },
      ]);
      const methods = result.methods.map((m) => m.method);
      expect(methods).toEqual([
        "majority label",
        "zero-shot",
        "few-shot",
        "instruction-tuned LoRA",
        "LoRA per task",
      ]);
      for (const m of result.methods) {
        for (const task of ["sst2", "mrpc"]) {
          const s = m.scores[task]!;
          expect(s.rows, `${m.method} ${task}`).toBe(3);
          for (const x of [s.exactMatch, s.labelAccuracy, s.answered])
            expect(x * 3).toBeCloseTo(Math.round(x * 3), 9);
          expect(s.labelAccuracy).toBeGreaterThanOrEqual(s.exactMatch); // an exact match names the right label
          expect(s.answered).toBeGreaterThanOrEqual(s.labelAccuracy);
        }
      }
      const [, zero, few, tuned, perTask] = result.methods;
      expect(zero!.cost).toMatchObject({ trainableParameters: 0, steps: 0, trainSeconds: 0 });
      expect(few!.cost.evalPromptTokens).toBeGreaterThan(2 * zero!.cost.evalPromptTokens);
      expect(zero!.cost.evalSeconds).toBeGreaterThan(0);
      // the mixture holds sst2's 8 rows only (mrpc is held out): 2 steps of 4
      expect(tuned!.cost).toMatchObject({ trainRows: 8, steps: 2 });
      // r 2 on q_proj (16 -> 16) and v_proj (16 -> 8): 2 * (16 + 16) + 2 * (16 + 8)
      expect(tuned!.cost.trainableParameters).toBe(112);
      expect(tuned!.cost.supervisedTokens).toBeGreaterThan(0);
      expect(tuned!.cost.trainTokens).toBeGreaterThan(tuned!.cost.supervisedTokens);
      expect(perTask!.cost).toMatchObject({ trainRows: 16, steps: 4, trainableParameters: 224 });
      expect(zero!.samples.sst2).toHaveLength(3);
      expect(lines.some((l) => l.includes("LoRA instructions as chat") && l.includes("held out mrpc"))).toBe(
        true,
      );
      expect(result.settings.instructionFormat).toBe("chat");

      const table = resultsMarkdown(result).split("\n");
      expect(table[0]).toBe(
        "| method | sst2 | mrpc (held out) | trainable params | train rows | train tokens | steps | train s | eval prompt tokens | eval s |",
      );
      expect(table.filter((l) => l.startsWith("| ")).length).toBe(2 + 5);
      expect(table.find((l) => l.startsWith("| instruction-tuned LoRA |"))).toMatch(
        /\| 112 \| 8 \| [\d,]+ \| 2 \|/,
      );
    } finally {
      backend.dispose();
    }
  });

  it("refuses a held-out task that is also trained on, before loading anything", async () => {
    const backend = await createOnnxBackend();
    await expect(
      runExperiment({
        modelDir: join(ROOT, "no-such-model"),
        dataDir: join(ROOT, "examples/data"),
        baseDir: ROOT,
        trainTasks: ["sst2", "cr"],
        heldOut: "cr",
        trainRows: 1,
        devRows: 1,
        lora: {
          r: 2,
          alpha: 4,
          targetModules: ["q_proj"],
          lr: 1e-2,
          batchSize: 4,
          epochs: 1,
          maxLength: 64,
          seed: 1,
        },
        generation: { batchSize: 4, maxNewTokens: 2 },
        backend,
        seed: 1,
      }),
    ).rejects.toThrow(/the held-out task must not be trained on/);
    backend.dispose();
  });
});
