import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createReferenceBackend, generate, loadCausalLmCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { readGenerationFixture } from "@tunekit/core/testing";
import { loadPromptLearningAdapter } from "@tunekit/strategies";
import { describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { createBackend } from "./setup/backend-setup.js";
import { decoderProbe } from "./setup/decoder-merge.js";
import { cliRun, testDir } from "./testing/cli-run.js";
import { REPO } from "./testing/small-run.js";

// tunekit merge on decoders (PEFT adapters written by Python PEFT, fixtures/peft-decoders): the
// merged plain folder gives PEFT's adapted logits; tunekit generate runs GPT-2 folders and takes
// PEFT prompt / prefix tuning folders as --adapter.
const tmp = testDir("tunekit-decoder-merge-");

describe("tunekit merge on causal LMs", () => {
  it.each([
    ["gpt2-lora-c_attn", "fixtures/parity/gpt2-2l-h24-b3-seq9", "LORA", 2],
    ["llama-ia3", "fixtures/generation/llama-2l-h32-kv2", "IA3", 6],
  ])(
    "%s: MODEL_DIR --adapter merges into a plain folder with PEFT's logits",
    async (name, base, type, layers) => {
      const adapter = join("fixtures", "peft-decoders", name);
      const out = join(tmp.path, name);
      const json = JSON.parse(
        (await cliRun(["merge", base, "--adapter", adapter, "--out", out, "--json"])).out,
      );
      expect(json).toMatchObject({ ok: true, command: "merge", peftType: type, mergedModules: layers });
      expect(json.maxAbsDifference).toBeLessThan(1e-4);
      expect(await readdir(out)).toEqual(expect.arrayContaining(["config.json", "model.safetensors"]));
      const { model } = await loadCausalLmCheckpoint(out);
      expect(model.parameters().some((p) => p.name.includes("lora") || p.name.includes("ia3"))).toBe(false);
      const { tensors } = await readSafetensorsFile(join(REPO, adapter, "expected.safetensors"));
      const backend = await createBackend({ name: "onnx" }, () => {});
      try {
        const logits = await decoderProbe(model, backend, {
          input_ids: tensors.get("input_ids")!,
          attention_mask: tensors.get("attention_mask")!,
        });
        const want = tensors.get("logits")!.data;
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - Number(want[i])));
        expect(worst).toBeLessThan(2e-5);
      } finally {
        backend.dispose();
      }
    },
  );

  it("--adapter needs a causal LM folder", async () => {
    const { err } = await cliRun(
      ["merge", "fixtures/parity/bert-3l-h24-seq13-2labels", "--adapter", "x", "--out", join(tmp.path, "no")],
      EXIT.usageError,
    );
    expect(err).toMatch(/--adapter needs MODEL_DIR to be a causal LM folder/);
  });
});

describe("tunekit generate on GPT-2", () => {
  it("greedy --prompt-ids prints transformers' greedy tokens", async () => {
    const gpt2 = readGenerationFixture(REPO).models.find((m) => m.folder.includes("gpt2"))!;
    const c = gpt2.cases[0]!;
    const upToEos = c.expected.includes(2) ? c.expected.slice(0, c.expected.indexOf(2) + 1) : c.expected;
    const { out } = await cliRun([
      "generate",
      gpt2.folder,
      "--prompt-ids",
      c.prompt.join(","),
      "--max-new-tokens",
      "12",
    ]);
    expect(out).toBe(`${upToEos.join(" ")}\n`);
  });

  it.each(["gpt2-prefix", "llama-prompt"])(
    "--adapter takes a PEFT %s folder (prompt learning) and decodes as core's generate",
    async (name) => {
      const adapterDir = join(REPO, "fixtures", "peft-decoders", name);
      const config = JSON.parse(await readFile(join(adapterDir, "adapter_config.json"), "utf8"));
      const base = join(REPO, config.base_model_name_or_path);
      const adapted = await loadPromptLearningAdapter((await loadCausalLmCheckpoint(base)).model, adapterDir);
      const expected = await generate(adapted, createReferenceBackend(), [[5, 9, 12]], {
        maxNewTokens: 6,
        stopTokenIds: [],
      });
      const args = [
        "generate",
        base,
        "--adapter",
        adapterDir,
        "--prompt-ids",
        "5,9,12",
        "--max-new-tokens",
        "6",
        "--json",
      ];
      const tokens: number[] = JSON.parse((await cliRun(args)).out).tokens;
      // the CLI stops at EOS (id 2); compare up to it
      const want = expected.sequences[0]!.tokens;
      expect(tokens).toEqual(want.includes(2) ? want.slice(0, want.indexOf(2) + 1) : want);
    },
  );
});
