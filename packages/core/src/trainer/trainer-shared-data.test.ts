import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { tokenizeDataset } from "../data/batching.js";
import { loadDataset, subsetDataset } from "../data/dataset.js";
import { parseDatasetConfig } from "../data/dataset-config.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { parseBertConfig } from "../io/bert-config.js";
import { BertForSequenceClassification } from "../models/bert/bert-heads.js";
import { setTrainable } from "../modules/trainable.js";
import { Trainer } from "./trainer.js";

// End to end on real files: examples/data/stsb.json (sentence pairs, float targets) from
// ../shared/data, the bert-base-uncased tokenizer, a tiny random BERT with its vocabulary.
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const SHARED = process.env.TUNEKIT_SHARED_DIR ?? join(REPO_ROOT, "..", "shared");

function countingBackend(inner: Backend): { backend: Backend; shapes: string[] } {
  const shapes: string[] = [];
  const backend: Backend = {
    name: inner.name,
    compile: (graph, options) => {
      const id = graph.inputs.get("input_ids");
      shapes.push(id === undefined ? "?" : String(graph.nodes[id]!.shape));
      return inner.compile(graph, options);
    },
    dispose: () => inner.dispose(),
  };
  return { backend, shapes };
}

describe("Trainer on STS-B (shared data, real tokenizer)", () => {
  it("regression on sentence pairs: trains, evaluates pearson/spearman, compiles one graph per bucket", async () => {
    const configText = await readFile(join(REPO_ROOT, "examples", "data", "stsb.json"), "utf8");
    const config = parseDatasetConfig(
      JSON.parse(configText.replaceAll("../shared/", `${SHARED}/`)),
      "stsb.json",
    );
    const splits = await loadDataset(config, { baseDir: REPO_ROOT });
    const tok = await loadTokenizer(join(SHARED, "tokenizers", "bert-base-uncased"));
    const rows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
    const train = tokenizeDataset(subsetDataset(splits.train!, rows(32), "train"), tok, { maxLength: 64 });
    const validation = tokenizeDataset(subsetDataset(splits.validation!, rows(16), "validation"), tok, {
      maxLength: 64,
    });
    expect(train.task).toBe("regression");
    expect(train.tokenTypeIds[0]!.includes(1)).toBe(true); // a sentence pair

    const model = new BertForSequenceClassification(
      parseBertConfig({
        model_type: "bert",
        vocab_size: tok.vocabSize,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 64,
      }),
      { numLabels: 1, seed: 3 },
    );
    // the 30522 × 16 word embeddings stay frozen (bound as constants) to keep the float64 reference fast
    setTrainable(model, ["bert.embeddings.word_embeddings"], false);
    const { backend, shapes } = countingBackend(createReferenceBackend());
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      epochs: 2,
      lr: 1e-3,
      lastBatch: "drop",
      padding: { buckets: [16, 32, 64] },
      bucketing: { windowBatches: 3 },
    });
    const before = await trainer.evaluate(validation);
    const result = await trainer.fit(train, { evalData: validation });
    expect(result.step).toBe(8);
    expect(result.evaluations).toHaveLength(2);
    const last = result.evaluations.at(-1)!;
    expect(last.loss).toBeLessThan(before.loss);
    expect(Object.keys(last.metrics)).toEqual(["pearson", "spearman", "mse"]);
    expect(last.metrics.mse).toBeCloseTo(last.loss, 5);
    // every compiled graph has a bucket shape, once for training and once for evaluation
    expect(shapes.length).toBeGreaterThanOrEqual(2);
    expect(shapes.length).toBeLessThanOrEqual(6);
    for (const s of shapes) expect(["8,16", "8,32", "8,64"]).toContain(s);
    const predictions = (await trainer.predict(validation)).predictions;
    expect(predictions).toHaveLength(16);
    expect(predictions.every(Number.isFinite)).toBe(true);
  });
});
