import { join } from "node:path";
import { createReferenceBackend, generate } from "@tunekit/core";
import { loadLlamaCheckpoint } from "@tunekit/core/models";
import { readGenerationFixture } from "@tunekit/core/testing";
import { lora, saveAdapter } from "@tunekit/strategies";
import { describe, expect, it } from "vitest";
import { EXIT } from "./run-cli.js";
import { cliRun, testDir } from "./testing/cli-run.js";
import { REPO } from "./testing/small-run.js";

const fixture = readGenerationFixture(REPO);
const llama = fixture.models[0]!; // fixtures/generation/llama-2l-h32-kv2 (no tokenizer)
const tmp = testDir("tunekit-generate-");

describe("tunekit generate", () => {
  it("greedy --prompt-ids prints PyTorch's greedy tokens (onnx), --json too", async () => {
    const c = llama.cases[0]!;
    const n = String(fixture.maxNewTokens);
    const ids = c.prompt.join(",");
    // the fixture model's eos_token_id (2) may occur: compare up to it
    const upToEos = c.expected.includes(2) ? c.expected.slice(0, c.expected.indexOf(2) + 1) : c.expected;
    const { out } = await cliRun(["generate", llama.folder, "--prompt-ids", ids, "--max-new-tokens", n]);
    expect(out).toBe(`${upToEos.join(" ")}\n`);
    const json = JSON.parse(
      (await cliRun(["generate", llama.folder, "--prompt-ids", ids, "--max-new-tokens", n, "--json"])).out,
    );
    expect(json).toMatchObject({ ok: true, command: "generate", promptIds: c.prompt, tokens: upToEos });
  });

  it("--adapter applies a PEFT LoRA adapter; sampling flags are seeded", async () => {
    const { model } = await loadLlamaCheckpoint(llama.folder);
    const adapted = lora({ r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"], seed: 5 }).apply(model);
    for (const [name, p] of adapted.namedParameters()) {
      if (name.includes("lora_B")) p.value.data.fill(0.3); // LoRA B starts at zero: make the adapter matter
    }
    const adapterDir = join(tmp.path, "adapter");
    await saveAdapter(adapted, adapterDir);
    const prompt = llama.cases[2]!.prompt;
    const opts = { maxNewTokens: 6, temperature: 0.8, topK: 10, seed: 3 };
    const expected = await generate(adapted, createReferenceBackend(), [prompt], opts);
    const args = ["generate", llama.folder, "--prompt-ids", prompt.join(","), "--max-new-tokens", "6"];
    const sampling = ["--temperature", "0.8", "--top-k", "10", "--seed", "3", "--json"];
    const { out } = await cliRun([...args, "--adapter", adapterDir, ...sampling]);
    expect(JSON.parse(out).tokens).toEqual(expected.sequences[0]!.tokens);
    const plain = JSON.parse((await cliRun([...args, ...sampling])).out);
    expect(plain.tokens).not.toEqual(expected.sequences[0]!.tokens);
  });

  it("usage errors exit 2 and say how to fix them", async () => {
    const cases: [string[], RegExp][] = [
      [["generate", llama.folder], /exactly one of --prompt TEXT or --prompt-ids/],
      [["generate", llama.folder, "--prompt", "hi"], /has no tokenizer.json.*--prompt-ids 1,2,3/],
      [["generate", llama.folder, "--prompt-ids", "1,x"], /expected comma-separated token ids/],
      [
        ["generate", llama.folder, "--prompt-ids", "1", "--top-p", "2"],
        /--top-p is "2"; expected a number in \(0, 1\]/,
      ],
    ];
    for (const [args, message] of cases) {
      const { err } = await cliRun(args, EXIT.usageError);
      expect(err).toMatch(message);
    }
  });
});
