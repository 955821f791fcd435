import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSafetensorsFile } from "../../io/safetensors-file.js";
import { stateDict } from "../../modules/state-dict.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { loadLlamaCheckpoint, loadLlamaWeights, saveLlamaCheckpoint } from "./llama-checkpoint.js";
import { parseLlamaConfig } from "./llama-config.js";
import { LlamaForCausalLM } from "./llama-model.js";
import { TINY_LLAMA } from "./config.test-helpers.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-llama-ckpt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const QWEN_TIED = {
  ...TINY_LLAMA,
  model_type: "qwen2",
  architectures: ["Qwen2ForCausalLM"],
  tie_word_embeddings: true,
};

describe("Llama checkpoints", () => {
  it("save then load gives the same config and weights (Qwen2, tied, biases)", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(QWEN_TIED), { seed: 5 });
    const folder = join(dir, "qwen");
    await saveLlamaCheckpoint(model, folder);
    const { model: back, config, report } = await loadLlamaCheckpoint(folder);
    expect(config).toEqual({ ...model.llamaConfig, extra: { torch_dtype: "float32" } });
    expect(report.loaded).toHaveLength(model.parameters().length);
    const want = stateDict(model);
    for (const [name, value] of Object.entries(stateDict(back))) expect(value.data).toEqual(want[name]!.data);
  });

  it("ignores rotary inv_freq buffers and a stored lm_head of tied embeddings; accepts bare LlamaModel keys", () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(QWEN_TIED));
    const tensors: Record<string, ReturnType<typeof hostTensor>> = {};
    for (const [name, value] of Object.entries(stateDict(model)))
      tensors[name.replace(/^model\./, "")] = value;
    tensors["lm_head.weight"] = tensors["embed_tokens.weight"]!;
    tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = hostTensor("float32", [4]);
    const report = loadLlamaWeights(model, tensors);
    expect(report.ignored.sort()).toEqual(["lm_head.weight", "model.layers.0.self_attn.rotary_emb.inv_freq"]);
    expect(report.loaded).toContain("model.layers.1.self_attn.k_proj.bias");
  });

  it("a checkpoint of another shape is CHECKPOINT_MISMATCH listing missing, unexpected and mis-shaped tensors", () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(TINY_LLAMA));
    const tensors = { ...stateDict(model) };
    delete tensors["lm_head.weight"];
    tensors["model.layers.0.self_attn.k_proj.weight"] = hostTensor("float32", [32, 32]);
    tensors["model.layers.0.self_attn.q_proj.bias"] = hostTensor("float32", [32]);
    const before = model.getParameter("model.norm.weight").value;
    expect(() => loadLlamaWeights(model, tensors)).toThrow(
      /missing \(1\):\n {4}lm_head\.weight float32\[96, 32\][\s\S]*unexpected \(1\):\n {4}model\.layers\.0\.self_attn\.q_proj\.bias[\s\S]*shape mismatch \(1\):\n {4}model\.layers\.0\.self_attn\.k_proj\.weight: checkpoint has float32\[32, 32\], model expects float32\[16, 32\]/,
    );
    expect(model.getParameter("model.norm.weight").value).toBe(before); // nothing assigned
  });

  it("a config far larger than the stored weights fails before the model is allocated", async () => {
    const folder = join(dir, "hostile");
    await mkdir(folder);
    await writeSafetensorsFile(join(folder, "model.safetensors"), {
      "model.norm.weight": hostTensor("float32", [32]),
    });
    await writeFile(
      join(folder, "config.json"),
      JSON.stringify({ ...TINY_LLAMA, vocab_size: 9_000_000, hidden_size: 128 }),
    );
    await expect(loadLlamaCheckpoint(folder)).rejects.toThrow(
      /describes a llama model of \d+ parameters, but .*model\.safetensors holds only 32 values/,
    );
  });

  it("loads sharded float16 safetensors (model.safetensors.index.json), converting to float32", async () => {
    const model = new LlamaForCausalLM(parseLlamaConfig(TINY_LLAMA), { seed: 9 });
    const folder = join(dir, "sharded-f16");
    await mkdir(folder);
    const all = Object.entries(stateDict(model));
    const shards = [all.slice(0, 10), all.slice(10)];
    const weightMap: Record<string, string> = {};
    for (const [i, entries] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensorsFile(
        join(folder, file),
        Object.fromEntries(entries),
        { format: "pt" },
        { floatDType: "F16" },
      );
      for (const [name] of entries) weightMap[name] = file;
    }
    await writeFile(join(folder, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    await writeFile(join(folder, "config.json"), JSON.stringify(TINY_LLAMA));
    const { model: back, report } = await loadLlamaCheckpoint(folder);
    expect(report.loaded).toHaveLength(all.length);
    const want = stateDict(model);
    for (const [name, value] of Object.entries(stateDict(back))) {
      expect(value.dtype).toBe("float32");
      // float16 keeps 11 significant bits: relative error at most 2^-11
      for (let i = 0; i < value.data.length; i++) {
        const w = want[name]!.data[i]!;
        expect(Math.abs(value.data[i]! - w)).toBeLessThanOrEqual(Math.abs(w) * 2 ** -11 + 1e-7);
      }
    }
  });
});
