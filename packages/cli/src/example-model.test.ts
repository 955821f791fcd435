import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOnnxBackend } from "@tunekit/backend-onnx";
import {
  BertForMaskedLM,
  loadBertCheckpoint,
  loadDataset,
  loadTokenizer,
  maskedLmForward,
  maskTokensForMlm,
  mulberry32,
  parseBertConfig,
  readBertConfig,
  TrainStepRunner,
  adamw,
} from "@tunekit/core";
import { afterAll, describe, expect, it } from "vitest";

// examples/models/bert-tiny-mlm is a BERT tunekit pre-trained itself (scripts/pretrain-mlm.ts)
// because no pre-trained weights exist offline. These checks fail if the committed weights are
// not what the model card says: a small BERT whose masked-token predictions on SST-2 dev
// sentences (never in its corpus) are far better than a random BERT's.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const MODEL = join(REPO, "examples/models/bert-tiny-mlm");
const backend = await createOnnxBackend();
afterAll(() => backend.dispose());

async function heldOutMlm(model: BertForMaskedLM): Promise<{ loss: number; accuracy: number }> {
  const tok = await loadTokenizer(MODEL);
  const sst2 = JSON.parse(await readFile(join(REPO, "examples/data/sst2.json"), "utf8"));
  const dev = (await loadDataset(sst2, { baseDir: REPO })).validation!;
  const rows = dev.texts
    .slice(0, 128)
    .map((t) => Int32Array.from(tok.encode(t, undefined, { maxLength: 48 }).ids));
  const id = (t: string): number => tok.tokenToId(t)!;
  const batch = maskTokensForMlm(rows, {
    maskId: id("[MASK]"),
    vocabSize: tok.vocabSize,
    specialIds: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(id),
    rng: mulberry32(5),
    seqLength: 48,
  });
  const runner = new TrainStepRunner({
    backend,
    params: model.namedParameters().map(([, p]) => p),
    forward: maskedLmForward(model),
    optimizer: adamw(),
  });
  const { logits, loss } = await runner.evaluate({ ...batch });
  const v = tok.vocabSize;
  let correct = 0;
  let count = 0;
  batch.labels.data.forEach((label, j) => {
    if (label === -100) return;
    const row = logits!.data.subarray(j * v, (j + 1) * v);
    let arg = 0;
    for (let k = 1; k < v; k++) if (row[k]! > row[arg]!) arg = k;
    if (arg === label) correct++;
    count++;
  });
  return { loss: loss!.data[0]!, accuracy: correct / count };
}

describe("examples/models/bert-tiny-mlm (the pre-trained model the examples start from)", () => {
  it("is a Hugging Face BertForMaskedLM folder: float16 weights, bert-base-uncased vocabulary, model card", async () => {
    const config = await readBertConfig(MODEL);
    expect([
      config.numHiddenLayers,
      config.hiddenSize,
      config.numAttentionHeads,
      config.intermediateSize,
    ]).toEqual([2, 128, 2, 512]);
    expect(config.vocabSize).toBe(30522);
    const json = JSON.parse(await readFile(join(MODEL, "config.json"), "utf8"));
    expect(json.architectures).toEqual(["BertForMaskedLM"]);
    expect(json.torch_dtype).toBe("float16");
    expect(await readFile(join(MODEL, "README.md"), "utf8")).toContain("scripts/pretrain-mlm.ts");
    const { report } = await loadBertCheckpoint(MODEL, { task: "masked-lm" });
    expect(report.initialized).toEqual([]);
  });

  it("predicts masked words of unseen SST-2 dev sentences far better than a random BERT", async () => {
    const { model } = await loadBertCheckpoint(MODEL, { task: "masked-lm" });
    const random = new BertForMaskedLM(
      parseBertConfig(JSON.parse(await readFile(join(MODEL, "config.json"), "utf8"))),
    );
    const trained = await heldOutMlm(model);
    const untrained = await heldOutMlm(random);
    // ln(30522) = 10.3 is the loss of a uniform guess; thresholds sit well inside the measured gap.
    expect(untrained.loss).toBeGreaterThan(10);
    expect(untrained.accuracy).toBeLessThan(0.01);
    expect(trained.loss).toBeLessThan(untrained.loss - 3);
    expect(trained.accuracy).toBeGreaterThan(0.2); // measured 0.320 (loss 4.66) on these 128 sentences
  });
});
