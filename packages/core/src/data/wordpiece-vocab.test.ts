import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { loadTokenizer, type Tokenizer, tokenizerFromJson } from "./tokenizer.js";
import { tokenizerJsonFromVocab } from "./wordpiece-vocab.js";

const SHARED =
  process.env.TUNEKIT_SHARED_DIR ?? fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const BERT = join(SHARED, "tokenizers", "bert-base-uncased");
const SST2_DEV = join(SHARED, "data", "sst2", "dev.tsv");
const TINY = fileURLToPath(new URL("../io/fixtures/bert-tiny-bin/", import.meta.url));

let fromJson: Tokenizer;
let fromVocab: Tokenizer;
let dir = "";
beforeAll(async () => {
  fromJson = await loadTokenizer(BERT); // the folder has tokenizer.json: it wins
  fromVocab = await loadTokenizer(join(BERT, "vocab.txt")); // + the folder's tokenizer_config.json
  dir = await mkdtemp(join(tmpdir(), "tunekit-vocab-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("WordPiece tokenizer from vocab.txt", () => {
  it("encodes all 872 SST-2 dev sentences exactly as bert-base-uncased's tokenizer.json (and their pairs)", async () => {
    const rows = (await readFile(SST2_DEV, "utf8"))
      .split("\n")
      .slice(1)
      .filter((l) => l.trim() !== "");
    const sentences = rows.map((r) => r.split("\t")[0]!);
    expect(sentences).toHaveLength(872);
    for (const [i, s] of sentences.entries()) {
      expect(fromVocab.encode(s).ids, s).toEqual(fromJson.encode(s).ids);
      const next = sentences[(i + 1) % sentences.length]!;
      expect(fromVocab.encode(s, next, { maxLength: 64 }), s).toEqual(
        fromJson.encode(s, next, { maxLength: 64 }),
      );
    }
  });

  it("agrees on accents, CJK, control characters, special tokens in text, unknown and over-long words", () => {
    for (const text of [
      "Héllo, CAFÉ naïve résumé — “quoted” … ",
      "中文字符 and ｆｕｌｌ-width, 日本語のテキスト",
      "tab\there\u0000nul\u200bzero-width \u{1F600} emoji",
      "a [MASK] in the text, [CLS] and [SEP] too; [unused0] [PAD]",
      "x".repeat(150),
      "",
    ]) {
      expect(fromVocab.encode(text).ids, text).toEqual(fromJson.encode(text).ids);
    }
    expect(fromVocab.vocabSize).toBe(fromJson.vocabSize);
    expect([fromVocab.padId, fromVocab.doLowerCase, fromVocab.modelMaxLength]).toEqual([
      fromJson.padId,
      fromJson.doLowerCase,
      fromJson.modelMaxLength,
    ]);
    const ids = fromJson.encode("the movie's plot was dull").ids;
    expect(fromVocab.decode(ids, { skipSpecialTokens: true })).toBe(
      fromJson.decode(ids, { skipSpecialTokens: true }),
    );
  });

  it("a folder with only vocab.txt + tokenizer_config.json + special_tokens_map.json loads (the bin-only fixture)", async () => {
    const tok = await loadTokenizer(TINY);
    expect(tok.vocabSize).toBe(30);
    expect(tok.modelMaxLength).toBe(16);
    expect(tok.encode("The film is GREAT fun!").ids).toEqual([2, 5, 7, 13, 11, 17, 22, 3]);
    expect(tok.encode("films", "acting").tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1]);
    expect(tok.encode("zebra").ids).toEqual([2, 1, 3]); // [UNK]
  });

  it("honours do_lower_case false, renamed special tokens, added tokens and CRLF line ends", async () => {
    const folder = join(dir, "cased");
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, "vocab.txt"),
      "<pad>\r\n<unk>\r\n<s>\r\n</s>\r\n<mask>\r\nHello\r\nhello\r\n##s\r\n",
    );
    await writeFile(
      join(folder, "tokenizer_config.json"),
      JSON.stringify({ do_lower_case: false, model_max_length: 8 }),
    );
    await writeFile(
      join(folder, "special_tokens_map.json"),
      JSON.stringify({
        pad_token: "<pad>",
        unk_token: { content: "<unk>", lstrip: false },
        cls_token: "<s>",
        sep_token: "</s>",
        mask_token: "<mask>",
        additional_special_tokens: ["<ent>"],
      }),
    );
    const tok = await loadTokenizer(folder);
    expect(tok.encode("Hello hellos").ids).toEqual([2, 5, 6, 7, 3]);
    expect(tok.encode("HELLO <ent>").ids).toEqual([2, 1, 8, 3]); // <ent> gets id 8, after the vocabulary
    expect(tok.vocabSize).toBe(9);
    expect(tok.padId).toBe(0);
    expect(tok.modelMaxLength).toBe(8);
  });

  it("a repeated token keeps its last line's id (as transformers) and vocabSize covers every id", () => {
    const { tokenizerJson, config } = tokenizerJsonFromVocab(
      "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfilm\ngood\nfilm\n",
    );
    const tok = tokenizerFromJson(tokenizerJson, config, "v.txt");
    expect(tok.encode("film good").ids).toEqual([2, 7, 6, 3]);
    expect(tok.vocabSize).toBe(8); // ids 0..7, though only 7 distinct tokens
  });

  it("bad inputs are TOKENIZER_INVALID naming the file", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty, { recursive: true });
    const none = await loadTokenizer(empty).catch((e: unknown) => e);
    expect(isTunekitError(none, "TOKENIZER_INVALID")).toBe(true);
    expect((none as Error).message).toBe(
      `${empty} has neither tokenizer.json nor vocab.txt; pass a Hugging Face tokenizer folder (e.g. the model folder saved with save_pretrained)`,
    );
    expect(() => tokenizerJsonFromVocab("", {}, {}, {}, "v.txt")).toThrow(
      "v.txt: the vocabulary is empty; expected one WordPiece token a line",
    );
    expect(() => tokenizerJsonFromVocab("[UNK]\n", { do_lower_case: "yes" }, {}, {}, "v.txt")).toThrow(
      'v.txt: do_lower_case is "yes"; expected true or false',
    );
    expect(() => tokenizerJsonFromVocab("[UNK]\n", {}, { cls_token: 5 }, {}, "v.txt")).toThrow(
      'v.txt: cls_token is 5; expected a token string or {"content": token}',
    );
  });
});
