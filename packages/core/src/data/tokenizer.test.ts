import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { loadTokenizer, type Tokenizer, tokenizerFromJson } from "./tokenizer.js";

const SHARED =
  process.env.TUNEKIT_SHARED_DIR ?? fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const BERT = join(SHARED, "tokenizers", "bert-base-uncased");

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer(BERT);
});

describe("loadTokenizer (bert-base-uncased)", () => {
  it("encodes a single text with [CLS] ... [SEP]", () => {
    const e = tok.encode("hello world");
    expect(e.ids).toEqual([101, 7592, 2088, 102]);
    expect(e.tokenTypeIds).toEqual([0, 0, 0, 0]);
    expect(e.truncated).toBe(false);
    expect(tok.encode("Hello World").ids).toEqual([101, 7592, 2088, 102]); // lower-cased
    expect(tok.padId).toBe(0);
    expect(tok.doLowerCase).toBe(true);
    expect(tok.vocabSize).toBe(30522);
    expect(tok.numSpecialTokens(false)).toBe(2);
    expect(tok.numSpecialTokens(true)).toBe(3);
  });

  it("encodes a pair as [CLS] a [SEP] b [SEP] with type ids 0/1", () => {
    const e = tok.encode("Hello World", "How are you?");
    // ids checked against Hugging Face tokenizers (Python) for bert-base-uncased.
    expect(e.ids).toEqual([101, 7592, 2088, 102, 2129, 2024, 2017, 1029, 102]);
    expect(e.tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it("loads from the tokenizer.json path too", async () => {
    const t = await loadTokenizer(join(BERT, "tokenizer.json"));
    expect(t.encode("hello world").ids).toEqual([101, 7592, 2088, 102]);
    expect(t.decode([101, 7592, 2088, 102], { skipSpecialTokens: true })).toBe("hello world");
  });

  it("truncates longest-first, only-first and only-second", () => {
    // a = "how are you ?" -> [2129, 2024, 2017, 1029] (4), b = "hello world" -> [7592, 2088] (2)
    const lf = tok.encode("how are you?", "hello world", { maxLength: 7 }); // budget 4 -> 2 + 2
    expect(lf.ids).toEqual([101, 2129, 2024, 102, 7592, 2088, 102]);
    expect(lf.truncated).toBe(true);
    const lf2 = tok.encode("how are you?", "hello world", { maxLength: 6 }); // budget 3 -> a 2, b 1 (ties: b first)
    expect(lf2.ids).toEqual([101, 2129, 2024, 102, 7592, 102]);
    const of = tok.encode("how are you?", "hello world", { maxLength: 7, truncation: "only_first" });
    expect(of.ids).toEqual([101, 2129, 2024, 102, 7592, 2088, 102]);
    const os = tok.encode("hello world", "how are you?", { maxLength: 7, truncation: "only_second" });
    expect(os.ids).toEqual([101, 7592, 2088, 102, 2129, 2024, 102]);
    expect(os.tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1, 1]);
    const single = tok.encode("how are you?", undefined, { maxLength: 3 });
    expect(single.ids).toEqual([101, 2129, 102]);
    expect(() =>
      tok.encode("how are you?", "hello world", { maxLength: 4, truncation: "only_second" }),
    ).toThrow(/only_second/);
    expect(() => tok.encode("how are you?", undefined, { maxLength: 4, truncation: "none" })).toThrow(/off/);
  });

  it("pads to the longest row, to max_length, and to buckets", () => {
    const texts = ["hello world", "how are you?", "hi"];
    const longest = tok.encodeBatch(texts);
    expect(longest.inputIds.shape).toEqual([3, 6]);
    expect(Array.from(longest.inputIds.data)).toEqual([
      101, 7592, 2088, 102, 0, 0, 101, 2129, 2024, 2017, 1029, 102, 101, 7632, 102, 0, 0, 0,
    ]);
    expect(Array.from(longest.attentionMask.data)).toEqual([
      1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0,
    ]);
    expect(Array.from(longest.lengths)).toEqual([4, 6, 3]);
    expect(longest.inputIds.dtype).toBe("int32");

    const fixed = tok.encodeBatch(texts, { maxLength: 8, padding: "max_length" });
    expect(fixed.inputIds.shape).toEqual([3, 8]);
    const buckets = tok.encodeBatch(texts, { maxLength: 128, padding: { buckets: [4, 8, 16] } });
    expect(buckets.inputIds.shape).toEqual([3, 8]);
    const short = tok.encodeBatch(["hi"], { maxLength: 128, padding: { buckets: [4, 8, 16] } });
    expect(short.inputIds.shape).toEqual([1, 4]);
    // maxLength is an implicit last bucket: a truncated 5-token row pads to 5, not beyond.
    const capped = tok.encodeBatch(texts, { maxLength: 5, padding: { buckets: [4, 8] } });
    expect(capped.inputIds.shape).toEqual([3, 5]);
    expect(capped.numTruncated).toBe(1);
  });

  it("pads pairs with token type ids 0 on padding", () => {
    const b = tok.encodeBatch(
      [
        ["hello", "world"],
        ["how are you?", "hi"],
      ],
      { padding: "longest" },
    );
    expect(b.inputIds.shape).toEqual([2, 8]);
    expect(Array.from(b.tokenTypeIds.data)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it("tokenises the whole SST-2 dev set quickly", async () => {
    const { readFile } = await import("node:fs/promises");
    const lines = (await readFile(join(SHARED, "data", "sst2", "dev.tsv"), "utf8"))
      .trim()
      .split("\n")
      .slice(1);
    const texts = lines.map((l) => l.split("\t")[0]!);
    const batch = tok.encodeBatch(texts, { maxLength: 64, padding: { buckets: [32, 64] } });
    expect(batch.inputIds.shape[0]).toBe(872);
    expect([32, 64]).toContain(batch.inputIds.shape[1]);
    const row0 = Array.from(batch.inputIds.data.subarray(0, batch.lengths[0]));
    expect(row0[0]).toBe(101);
    expect(row0[row0.length - 1]).toBe(102);
  });
});

describe("tokenizerFromJson", () => {
  it("rejects hostile or malformed input with TOKENIZER_INVALID", async () => {
    for (const bad of [null, 42, "x", [], {}, { model: {} }, { model: { type: 3 } }]) {
      expect(() => tokenizerFromJson(bad)).toThrow(expect.objectContaining({ code: "TOKENIZER_INVALID" }));
    }
    const dir = await mkdtemp(join(tmpdir(), "tunekit-tok-"));
    await writeFile(join(dir, "tokenizer.json"), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]));
    await expect(loadTokenizer(dir)).rejects.toSatisfy((e) => isTunekitError(e, "TOKENIZER_INVALID"));
    await writeFile(join(dir, "tokenizer.json"), '{"model": {"type": "WordPiece", "vocab": 5}}');
    await expect(loadTokenizer(dir)).rejects.toSatisfy((e) => isTunekitError(e, "TOKENIZER_INVALID"));
    await expect(loadTokenizer(join(dir, "missing"))).rejects.toSatisfy((e) => isTunekitError(e, "IO_ERROR"));
  });

  it("supports BertProcessing, RobertaProcessing and tokenizer_config overrides", async () => {
    const { readFile } = await import("node:fs/promises");
    const json = JSON.parse(await readFile(join(BERT, "tokenizer.json"), "utf8"));
    const bert = tokenizerFromJson(
      { ...json, post_processor: { type: "BertProcessing", sep: ["[SEP]", 102], cls: ["[CLS]", 101] } },
      { model_max_length: 6, do_lower_case: false },
    );
    expect(bert.encode("a b", "c").tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1]);
    expect(bert.modelMaxLength).toBe(6);
    expect(bert.encode("a b c d e f g").ids.length).toBe(6); // model_max_length is the default maxLength
    expect(bert.encode("Hello").ids).toEqual([101, bert.tokenToId("[UNK]"), 102]); // "Hello" is not in the uncased vocab
    const roberta = tokenizerFromJson({
      ...json,
      post_processor: { type: "RobertaProcessing", sep: ["[SEP]", 102], cls: ["[CLS]", 101] },
    });
    expect(roberta.encode("hello", "world").ids).toEqual([101, 7592, 102, 102, 2088, 102]);
    expect(roberta.numSpecialTokens(true)).toBe(4);
    expect(() => tokenizerFromJson({ ...json, post_processor: { type: "Weird" } })).toThrow(/Weird/);
  });
});
