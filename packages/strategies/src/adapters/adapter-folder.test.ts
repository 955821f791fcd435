import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Strategy } from "@tunekit/core";
import { afterAll, describe, expect, it } from "vitest";
import { lora } from "../lora/lora.js";
import { prefixTuning } from "../prefix/prefix-tuning.js";
import { promptTuning } from "../prompt/prompt-tuning.js";
import { logitsOf } from "../testing/logits.js";
import { probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { adapterFolderKind, loadAdapterFolder, saveAdapterFolder } from "./adapter-folder.js";
import { parallelAdapter } from "./bottleneck-strategies.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("saveAdapterFolder / loadAdapterFolder pick the format from the model and the config", () => {
  const cases: [string, () => Strategy, string][] = [
    ["lora", () => lora({ r: 2, alpha: 4 }), "peft"],
    ["parallel adapter", () => parallelAdapter({ reductionFactor: 4 }), "tunekit-bottleneck"],
    ["prefix", () => prefixTuning({ numVirtualTokens: 2 }), "peft-prompt-learning"],
    ["prompt", () => promptTuning({ numVirtualTokens: 2 }), "peft-prompt-learning"],
  ];
  for (const [name, make, kind] of cases) {
    it(`${name}: round trip through one pair of functions`, async () => {
      const adapted = make().apply(tinyBert(2));
      randomizeParameters(adapted, /lora_B|adapter_up|prefix_encoder|prompt_embeddings|classifier/, 6, 0.5);
      const dir = await mkdtemp(join(tmpdir(), "tunekit-folder-"));
      dirs.push(dir);
      await saveAdapterFolder(adapted, dir);
      const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
      expect(adapterFolderKind(config)).toBe(kind);
      const loaded = await loadAdapterFolder(tinyBert(2), dir);
      const batch = probeBatch(2, 5);
      const want = await logitsOf(adapted, batch);
      const got = await logitsOf(loaded, batch);
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-6);
    });
  }

  it("explains folders it cannot read and models without an adapter", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-folder-"));
    dirs.push(dir);
    await expect(loadAdapterFolder(tinyBert(), dir)).rejects.toThrow(/expected an adapter folder/);
    await writeFile(join(dir, "adapter_config.json"), "{ nope");
    await expect(loadAdapterFolder(tinyBert(), dir)).rejects.toThrow(
      /adapter_config\.json is not valid JSON/,
    );
    await expect(saveAdapterFolder(tinyBert(), dir)).rejects.toThrow(/carries no adapter/);
  });
});
