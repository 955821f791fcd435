import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBertConfig } from "../../io/hf-config.js";
import { findRepoRoot } from "../../testing/parity-fixtures.js";
import { createBertForTask, loadBertCheckpoint } from "./checkpoint.js";
import { bertParameterCount, MAX_BERT_PARAMETERS } from "./parameter-count.js";

const FIXTURE = join(findRepoRoot()!, "../shared/reference/bert-tiny-parity");
const TINY = {
  vocab_size: 50,
  hidden_size: 12,
  num_hidden_layers: 3,
  num_attention_heads: 3,
  intermediate_size: 20,
  max_position_embeddings: 9,
  type_vocab_size: 3,
  num_labels: 4,
};

const numel = (model: { parameters(): { value: { data: ArrayLike<number> } }[] }): number =>
  model.parameters().reduce((s, p) => s + p.value.data.length, 0);

describe("bertParameterCount", () => {
  it("equals the parameters the models really have, for every task", () => {
    const config = parseBertConfig(TINY);
    const seq = createBertForTask(config, { task: "sequence-classification" });
    const tok = createBertForTask(config, { task: "token-classification", numLabels: 7 });
    const base = createBertForTask(config, { task: "base" });
    expect(numel(seq)).toBe(bertParameterCount(config, { pooler: true, numLabels: 4 }).total);
    expect(numel(tok)).toBe(bertParameterCount(config, { numLabels: 7 }).total);
    expect(numel(base)).toBe(bertParameterCount(config, { pooler: true }).total);
    // bert-base-uncased with a 2-label head: 109,483,778 parameters (transformers' count).
    const bertBase = parseBertConfig({
      vocab_size: 30522,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
    });
    expect(bertParameterCount(bertBase, { pooler: true, numLabels: 2 }).total).toBe(109_483_778);
  });

  it("a config over the size limit is CONFIG_INVALID before anything is allocated", () => {
    const huge = parseBertConfig({
      ...TINY,
      vocab_size: 10_000_000,
      hidden_size: 65_536,
      num_attention_heads: 1,
    });
    expect(bertParameterCount(huge).total).toBeGreaterThan(MAX_BERT_PARAMETERS);
    const t0 = performance.now();
    expect(() => createBertForTask(huge, { task: "base" })).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        message: expect.stringMatching(/7\.112e\+11 parameters \(vocab_size 10000000, hidden_size 65536/),
      }),
    );
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("loadBertCheckpoint rejects a config much larger than model.safetensors with CHECKPOINT_MISMATCH", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-huge-config-"));
    try {
      const config = JSON.parse(await readFile(join(FIXTURE, "config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      await writeFile(join(dir, "model.safetensors"), await readFile(join(FIXTURE, "model.safetensors")));
      // Within every per-key limit of parseBertConfig, but 256 layers of 32 × 60000.
      await writeFile(
        join(dir, "config.json"),
        JSON.stringify({ ...config, num_hidden_layers: 256, intermediate_size: 60_000 }),
      );
      const t0 = performance.now();
      await expect(loadBertCheckpoint(dir, { task: "sequence-classification" })).rejects.toMatchObject({
        code: "CHECKPOINT_MISMATCH",
        message: expect.stringMatching(/holds only \d+ values/),
      });
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
