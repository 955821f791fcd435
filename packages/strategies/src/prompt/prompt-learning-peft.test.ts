import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTensor, loadBertCheckpoint, readSafetensorsFile } from "@tunekit/core";
import { writeSafetensors } from "@tunekit/core/io";
import { afterAll, describe, expect, it } from "vitest";
import { prefixTuning } from "../prefix/prefix-tuning.js";
import { logitsOf } from "../testing/logits.js";
import {
  loadReferenceCase,
  maxRelativeError,
  PARITY_FOLDER,
  REFERENCE_FILE,
} from "../testing/adapter-prefix-prompt-reference.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import {
  foldedPrefix,
  loadPromptLearningAdapter,
  promptLearningContents,
  savePromptLearningAdapter,
} from "./prompt-learning-peft.js";
import { promptTuning } from "./prompt-tuning.js";

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-peft-prompt-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const batch = probeBatch(3, 5);

describe("PEFT files for prefix and prompt tuning", () => {
  it("prefix with projection: saved folded as PEFT's prompt_embeddings [P, L*2*H]; reloads to the same logits", async () => {
    const adapted = prefixTuning({ numVirtualTokens: 2, projection: true, encoderHiddenSize: 6 }).apply(
      tinyBert(4),
    );
    randomizeParameters(adapted, /prefix_encoder|classifier/, 9, 0.5);
    const dir = await tmp();
    const { keys } = await savePromptLearningAdapter(adapted, dir, { baseModelNameOrPath: "tiny-bert" });
    expect(keys.sort()).toEqual([
      "base_model.classifier.bias",
      "base_model.classifier.weight",
      "prompt_embeddings",
    ]);
    expect(JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"))).toEqual({
      peft_type: "PREFIX_TUNING",
      task_type: "SEQ_CLS",
      inference_mode: true,
      base_model_name_or_path: "tiny-bert",
      revision: null,
      token_dim: 8,
      num_transformer_submodules: 1,
      num_attention_heads: 2,
      num_layers: 2,
      modules_to_save: ["classifier", "score"],
      num_virtual_tokens: 2,
      encoder_hidden_size: 6,
      prefix_projection: true,
    });
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    expect(tensors.get("prompt_embeddings")!.shape).toEqual([2, 32]);
    const loaded = await loadPromptLearningAdapter(tinyBert(4), dir);
    expect(loaded.getParameter("bert.encoder.prefix_encoder.embedding.weight").shape).toEqual([2, 32]);
    expect(maxAbsDiff(await logitsOf(loaded, batch), await logitsOf(adapted, batch))).toBeLessThan(1e-6);
  });

  it("the folded prefix equals PyTorch's transform(embedding) of the reference case", async () => {
    const c = await loadReferenceCase("prefix_projection");
    expect(
      maxRelativeError(foldedPrefix(c.model).data, c.tensors.get("prefix_projection.folded")!.data),
    ).toBeLessThan(1e-6);
  });

  it("prompt: text init is recorded as PEFT's TEXT init with a tokenizer path; reloads to the same logits", async () => {
    const tokenizer = { encode: () => ({ ids: [3, 5, 7] }) };
    const adapted = promptTuning({ numVirtualTokens: 2, init: { text: "great movie", tokenizer } }).apply(
      tinyBert(1),
    );
    randomizeParameters(adapted, /classifier/, 2, 0.5);
    const dir = await tmp();
    await savePromptLearningAdapter(adapted, dir, {
      baseModelNameOrPath: "models/bert",
      tokenizerNameOrPath: "tok",
    });
    const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({
      peft_type: "PROMPT_TUNING",
      num_virtual_tokens: 2,
      token_dim: 8,
      prompt_tuning_init: "TEXT",
      prompt_tuning_init_text: "great movie",
      tokenizer_name_or_path: "tok",
    });
    const loaded = await loadPromptLearningAdapter(tinyBert(1), dir);
    expect(Array.from(await logitsOf(loaded, batch))).toEqual(Array.from(await logitsOf(adapted, batch)));
  });

  it("prompt: PEFT refuses TEXT without tokenizer_name_or_path, so it falls back to the base path, else RANDOM", async () => {
    const tokenizer = { encode: () => ({ ids: [3, 5, 7] }) };
    const adapted = promptTuning({ numVirtualTokens: 2, init: { text: "great movie", tokenizer } }).apply(
      tinyBert(1),
    );
    const withBase = promptLearningContents(adapted, { baseModelNameOrPath: "models/bert" }).config;
    expect(withBase).toMatchObject({ prompt_tuning_init: "TEXT", tokenizer_name_or_path: "models/bert" });
    const bare = promptLearningContents(adapted).config;
    expect(bare).toMatchObject({
      prompt_tuning_init: "RANDOM",
      prompt_tuning_init_text: "great movie",
      tokenizer_name_or_path: null,
    });
    const dir = await tmp();
    await savePromptLearningAdapter(adapted, dir);
    const loaded = await loadPromptLearningAdapter(tinyBert(1), dir);
    expect(Array.from(await logitsOf(loaded, batch))).toEqual(Array.from(await logitsOf(adapted, batch)));
    // a random-init prompt never names a tokenizer
    const random = promptTuning({ numVirtualTokens: 2 }).apply(tinyBert(1));
    expect(promptLearningContents(random, { baseModelNameOrPath: "m" }).config).toMatchObject({
      prompt_tuning_init: "RANDOM",
      tokenizer_name_or_path: null,
    });
  });

  it("checks sizes and keys: wrong token_dim, wrong prompt shape and stray keys are explained", async () => {
    const adapted = promptTuning({ numVirtualTokens: 2 }).apply(tinyBert());
    const dir = await tmp();
    await savePromptLearningAdapter(adapted, dir);
    const configPath = join(dir, "adapter_config.json");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    await writeFile(configPath, JSON.stringify({ ...config, token_dim: 16 }));
    await expect(loadPromptLearningAdapter(tinyBert(), dir)).rejects.toThrow(
      /"token_dim" is 16 but the model's hidden_size is 8/,
    );
    await writeFile(configPath, JSON.stringify(config));
    const weights = join(dir, "adapter_model.safetensors");
    await writeFile(
      weights,
      writeSafetensors({
        prompt_embeddings: hostTensor("float32", [2, 9]),
        "base_model.pooler.weight": hostTensor("float32", [1]),
      }),
    );
    const err = (await loadPromptLearningAdapter(tinyBert(), dir).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/unexpected \(1\):\n\s+base_model\.pooler\.weight float32\[1\]/);
    expect(err.message).toMatch(/prompt_embeddings: expected float32\[2, 8\], file has float32\[2, 9\]/);
    await writeFile(configPath, JSON.stringify({ ...config, peft_type: "LORA" }));
    await expect(loadPromptLearningAdapter(tinyBert(), dir)).rejects.toThrow(/not a prompt-learning type/);
  });

  for (const [folder, reference] of [
    ["peft-prefix", "prefix_projection"],
    ["peft-prompt", "prompt"],
  ] as const) {
    it(`loads the Python-written ${folder} folder and reproduces PyTorch's logits`, async () => {
      const { model } = await loadBertCheckpoint(PARITY_FOLDER, { task: "sequence-classification" });
      const loaded = await loadPromptLearningAdapter(model, join(REFERENCE_FILE, "..", folder));
      const c = await loadReferenceCase(reference);
      expect(maxRelativeError(await logitsOf(loaded, c.batch), c.logits.data)).toBeLessThan(1e-5);
    });
  }

  it("works on the shared parity checkpoint (sizes from its config.json)", async () => {
    const { model } = await loadBertCheckpoint(PARITY_FOLDER, { task: "sequence-classification" });
    const dir = await tmp();
    await savePromptLearningAdapter(prefixTuning({ numVirtualTokens: 3 }).apply(model), dir);
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    expect(tensors.get("prompt_embeddings")!.shape).toEqual([3, 2 * 2 * 32]);
  });
});
