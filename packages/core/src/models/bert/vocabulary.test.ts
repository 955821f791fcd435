import { describe, expect, it } from "vitest";
import { assertIdsInVocabulary } from "../../data/vocabulary-check.js";
import { isTunekitError } from "../../errors.js";
import { tokenizerJsonFromVocab } from "../../data/wordpiece-vocab.js";
import { tokenizerFromJson } from "../../data/tokenizer.js";
import { createBertForTask, loadBertWeights } from "./index.js";
import { TINY_CONFIG } from "./config.test-helpers.js";
import { resizeVocabularyTensors, wordEmbeddingRows } from "./vocabulary.js";
import { stateDict } from "../../modules/state-dict.js";
import { bertConfigToJson, parseBertConfig } from "../../io/hf-config.js";

describe("vocabulary size: checking ids and growing embeddings", () => {
  it("resizeVocabularyTensors grows embeddings with the mean row and MLM biases with zeros; the model loads them", () => {
    const config = parseBertConfig(TINY_CONFIG);
    const model = createBertForTask(config, { task: "masked-lm", seed: 1 });
    const tensors = new Map(Object.entries(stateDict(model)));
    tensors.set("cls.predictions.decoder.weight", tensors.get("bert.embeddings.word_embeddings.weight")!);
    const rows = config.vocabSize;
    const grown = resizeVocabularyTensors(tensors, rows + 3, "ckpt");
    const emb = grown.get("bert.embeddings.word_embeddings.weight")!;
    const width = config.hiddenSize;
    expect(emb.shape).toEqual([rows + 3, width]);
    const old = tensors.get("bert.embeddings.word_embeddings.weight")!.data;
    expect(emb.data.subarray(0, rows * width)).toEqual(old);
    let mean0 = 0;
    for (let r = 0; r < rows; r++) mean0 += old[r * width]! / rows;
    expect(emb.data[(rows + 2) * width]).toBeCloseTo(mean0, 6);
    expect(grown.get("cls.predictions.decoder.weight")!.shape).toEqual([rows + 3, width]);
    expect([...grown.get("cls.predictions.bias")!.data.subarray(rows)]).toEqual([0, 0, 0]);
    expect(grown.get("bert.pooler.dense.weight") ?? grown.get("cls.predictions.transform.dense.weight")).toBe(
      tensors.get("bert.pooler.dense.weight") ?? tensors.get("cls.predictions.transform.dense.weight"),
    );
    const bigger = parseBertConfig({ ...bertConfigToJson(config), vocab_size: rows + 3 });
    const resized = createBertForTask(bigger, { task: "masked-lm" });
    loadBertWeights(resized, grown);
    expect(wordEmbeddingRows(resized)).toBe(rows + 3);
    expect(() => resizeVocabularyTensors(tensors, rows - 1, "ckpt")).toThrow(
      `ckpt: cannot resize the embeddings from ${rows} to ${rows - 1} rows; only growing is supported`,
    );
  });

  it("assertIdsInVocabulary names the first token without an embedding row, and passes ids below it", () => {
    const { tokenizerJson, config } = tokenizerJsonFromVocab(
      "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfilm\n",
      {},
      {
        additional_special_tokens: ["[NEW]"],
      },
    );
    const tok = tokenizerFromJson(tokenizerJson, config, "v.txt");
    expect(tok.vocabSize).toBe(7);
    const ok = [Int32Array.of(2, 5, 3)];
    assertIdsInVocabulary(ok, 6, { tokenizer: tok, what: "train split" });
    const rows = [...ok, Int32Array.from(tok.encode("film [NEW]").ids)];
    let error: unknown;
    try {
      assertIdsInVocabulary(rows, 6, { tokenizer: tok, what: "train split" });
    } catch (e) {
      error = e;
    }
    expect(isTunekitError(error, "DATA_INVALID")).toBe(true);
    expect((error as Error).message).toBe(
      'train split row 2: token "[NEW]" (id 6) has no embedding: the model\'s vocab_size is 6 but the tokenizer has 7 ids. ' +
        "Use the tokenizer the model was trained with, or train with model.resizeEmbeddings: true to add embedding rows for the extra tokens",
    );
  });
});
