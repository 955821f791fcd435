import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  adamw,
  generate,
  hostTensor,
  loadCausalLmCheckpoint,
  loadDataset,
  loadTokenizer,
  TrainStepRunner,
} from "@tunekit/core";
import { ChatTemplate } from "@tunekit/core/data";
import { LlamaForCausalLM, parseLlamaConfig } from "@tunekit/core/models";
import { afterAll, describe, expect, it } from "vitest";

// examples/models/llama-4l-h256 is a small Llama decoder tunekit pre-trained itself
// (scripts/train-bpe-tokenizer.ts, scripts/pretrain-clm.ts) because no pre-trained weights exist
// offline. These checks fail if the committed folder is not what its model card says: a Hugging
// Face LlamaForCausalLM folder with a byte-level BPE tokenizer and a ChatML template, whose
// logits equal transformers' own LlamaForCausalLM on the same folder, and whose next-token loss
// on SST-2 dev sentences (never in its corpus) is far below a random model's.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const MODEL = join(REPO, "examples/models/llama-4l-h256");
const HF_LOGITS = join(REPO, "packages/cli/src/fixtures/llama-4l-h256-hf-logits.json");
const backend = await createOnnxBackend();
afterAll(() => backend.dispose());

interface HfLogits {
  probeIds: number[];
  rows: {
    text: string;
    ids: number[];
    positions: { logsumexp: number; argmax: number; logits: number[] }[];
  }[];
}

/** Logits `[B, S, V]` and mean next-token loss of right-padded rows, on the ONNX backend. */
async function forward(model: LlamaForCausalLM, rows: readonly number[][], padId: number) {
  const seq = Math.max(...rows.map((r) => r.length));
  const n = rows.length;
  const ids = new Int32Array(n * seq).fill(padId);
  const mask = new Int32Array(n * seq);
  const labels = new Int32Array(n * seq).fill(-100);
  rows.forEach((r, i) => {
    ids.set(r, i * seq);
    labels.set(r, i * seq);
    mask.fill(1, i * seq, i * seq + r.length);
  });
  const runner = new TrainStepRunner({
    backend,
    params: model.parameters(),
    forward: (_g, x, ctx) => {
      const { logits, loss } = model.forward(
        { inputIds: x.input_ids!, attentionMask: x.attention_mask!, labels: x.labels! },
        ctx,
      );
      return { loss: loss!, logits };
    },
    optimizer: adamw(),
  });
  const out = await runner.evaluate({
    input_ids: hostTensor("int32", [n, seq], ids),
    attention_mask: hostTensor("int32", [n, seq], mask),
    labels: hostTensor("int32", [n, seq], labels),
  });
  await runner.dispose();
  return { logits: out.logits!.data as Float32Array, loss: out.loss!.data[0]!, seq };
}

async function sst2Dev(n: number): Promise<readonly string[]> {
  const sst2 = JSON.parse(await readFile(join(REPO, "examples/data/sst2.json"), "utf8"));
  return (await loadDataset(sst2, { baseDir: REPO })).validation!.texts.slice(0, n);
}

describe("examples/models/llama-4l-h256 (the pre-trained decoder of the examples)", () => {
  it("is a Hugging Face LlamaForCausalLM folder: float16 weights, 8,192-entry byte-level BPE, ChatML template", async () => {
    const { model, modelType } = await loadCausalLmCheckpoint(MODEL);
    expect(modelType).toBe("llama");
    const c = (model as LlamaForCausalLM).llamaConfig;
    expect([
      c.numHiddenLayers,
      c.hiddenSize,
      c.numAttentionHeads,
      c.numKeyValueHeads,
      c.intermediateSize,
    ]).toEqual([4, 256, 4, 2, 688]);
    expect(c.tieWordEmbeddings).toBe(true);
    const json = JSON.parse(await readFile(join(MODEL, "config.json"), "utf8"));
    expect(json.architectures).toEqual(["LlamaForCausalLM"]);
    const header = await readFile(join(MODEL, "model.safetensors"));
    const headerJson = JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString("utf8"));
    const dtypes = new Set(
      Object.entries(headerJson).flatMap(([k, v]) =>
        k === "__metadata__" ? [] : [(v as { dtype: string }).dtype],
      ),
    );
    expect(dtypes).toEqual(new Set(["F16"]));
    expect((await stat(join(MODEL, "model.safetensors"))).size).toBeLessThan(15e6);
    expect(await readFile(join(MODEL, "README.md"), "utf8")).toContain("scripts/pretrain-clm.ts");

    const tok = await loadTokenizer(MODEL);
    expect(tok.vocabSize).toBe(c.vocabSize);
    expect(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"].map((t) => tok.tokenToId(t))).toEqual([
      0, 1, 2, 3,
    ]);
    expect(tok.padId).toBe(3);
    for (const s of ["a charming, funny film.", "  Ünïcödé 日本 👋🏽\tand\nlines  ", "it's 10/10!"]) {
      expect(tok.decode(tok.tokenize(s))).toBe(s);
    }
    expect(tok.tokenize(" the")).toHaveLength(1);
    const config = JSON.parse(await readFile(join(MODEL, "tokenizer_config.json"), "utf8"));
    const template = ChatTemplate.fromTokenizerConfig(config);
    expect(template.eosToken).toBe("<|im_end|>");
    const text = template.render([{ role: "user", content: "Is this review positive?" }], {
      addGenerationPrompt: true,
    });
    expect(text).toBe("<|im_start|>user\nIs this review positive?<|im_end|>\n<|im_start|>assistant\n");
    const ids = tok.tokenize(text);
    expect(ids[0]).toBe(1);
    expect(ids.filter((id) => id === 2)).toHaveLength(1);
    expect(tok.decode(ids)).toBe(text);
  });

  it("gives the logits of transformers' LlamaForCausalLM on the same folder (float64 reference)", async () => {
    const ref = JSON.parse(await readFile(HF_LOGITS, "utf8")) as HfLogits;
    const tok = await loadTokenizer(MODEL);
    const model = (await loadCausalLmCheckpoint(MODEL)).model as LlamaForCausalLM;
    for (const row of ref.rows) expect(tok.tokenize(row.text)).toEqual(row.ids);
    const { logits, seq } = await forward(
      model,
      ref.rows.map((r) => r.ids),
      tok.padId,
    );
    const v = model.llamaConfig.vocabSize;
    let maxDiff = 0;
    ref.rows.forEach((row, b) => {
      row.positions.forEach((p, t) => {
        const at = logits.subarray((b * seq + t) * v, (b * seq + t + 1) * v);
        let max = Number.NEGATIVE_INFINITY;
        let arg = 0;
        for (let k = 0; k < v; k++) if (at[k]! > max) [max, arg] = [at[k]!, k];
        let sum = 0;
        for (let k = 0; k < v; k++) sum += Math.exp(at[k]! - max);
        expect(arg).toBe(p.argmax);
        maxDiff = Math.max(maxDiff, Math.abs(max + Math.log(sum) - p.logsumexp));
        ref.probeIds.forEach((id, j) => {
          maxDiff = Math.max(maxDiff, Math.abs(at[id]! - p.logits[j]!));
        });
      });
    });
    expect(maxDiff).toBeLessThan(1e-4); // float32 against float64: measured a few 1e-6
  });

  it("predicts unseen SST-2 dev sentences far better than a random model of the same shape", async () => {
    const tok = await loadTokenizer(MODEL);
    const { model } = await loadCausalLmCheckpoint(MODEL);
    const rows = (await sst2Dev(64)).map((t) => [...tok.tokenize(t).slice(0, 63), 0]);
    const trained = (await forward(model as LlamaForCausalLM, rows, tok.padId)).loss;
    const json = JSON.parse(await readFile(join(MODEL, "config.json"), "utf8"));
    const random = (await forward(new LlamaForCausalLM(parseLlamaConfig(json), { seed: 1 }), rows, tok.padId))
      .loss;
    // ln(8192) = 9.01 is a uniform guess; the card states the measured loss on these 64 sentences.
    expect(random).toBeGreaterThan(8.5);
    expect(trained).toBeLessThan(5.8); // measured 5.34 (see the model card)
    expect(trained).toBeLessThan(random - 3);
  });

  it("generates greedily and deterministically, the same with and without the key/value cache", async () => {
    const tok = await loadTokenizer(MODEL);
    const { model } = await loadCausalLmCheckpoint(MODEL);
    const prompts = ["the movie was", "a man is playing"].map((p) => tok.tokenize(p));
    const first = await generate(model, backend, prompts, { maxNewTokens: 12 });
    const again = await generate(model, backend, prompts, { maxNewTokens: 12 });
    const uncached = await generate(model, backend, prompts, { maxNewTokens: 12, kvCache: false });
    const tokens = first.sequences.map((s) => s.tokens);
    expect(again.sequences.map((s) => s.tokens)).toEqual(tokens);
    expect(uncached.sequences.map((s) => s.tokens)).toEqual(tokens);
    for (const t of tokens) {
      expect(t.length).toBeGreaterThan(1);
      expect(tok.decode(t, { skipSpecialTokens: true })).toMatch(/[a-z]{3}/);
    }
  });
});
