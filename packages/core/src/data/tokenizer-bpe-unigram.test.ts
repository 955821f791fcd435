import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { mutateJson, runHostileCase } from "../testing/hostile-input.js";
import { mulberry32 } from "./random.js";
import { loadTokenizer, tokenizerFromJson } from "./tokenizer.js";

// RoBERTa's byte-level BPE and XLM-RoBERTa's sentencepiece Unigram from tokenizer.json, against
// the ids of transformers' slow RobertaTokenizer and of a Unigram Viterbi written out from its
// definition (fixtures/tokenizers, made by scripts/make_tokenizer_fixtures.py).
const FIXTURES = join(import.meta.dirname, "../../../../fixtures/tokenizers");

interface Expected {
  readonly texts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly pairs: readonly {
    readonly text: string;
    readonly pair: string;
    readonly ids: readonly number[];
  }[];
}
const expected = (name: string): Expected =>
  JSON.parse(readFileSync(join(FIXTURES, name, "expected.json"), "utf8")) as Expected;
const json = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name, "tokenizer.json"), "utf8")) as Record<string, unknown>;

describe.each(["roberta-bpe", "xlmr-unigram"])("%s tokenizer.json", (name) => {
  it("encodes texts and pairs as the reference does (<s> A </s>, <s> A </s></s> B </s>)", async () => {
    const tok = await loadTokenizer(join(FIXTURES, name));
    const e = expected(name);
    expect(e.texts.length).toBeGreaterThan(8);
    for (const { text, ids } of e.texts) expect(tok.encode(text).ids, JSON.stringify(text)).toEqual(ids);
    for (const { text, pair, ids } of e.pairs)
      expect(tok.encode(text, pair).ids, `${text} | ${pair}`).toEqual(ids);
    expect(tok.padId).toBe(1);
    expect(tok.numSpecialTokens(false)).toBe(2);
    expect(tok.numSpecialTokens(true)).toBe(4);
    // RoBERTa has one token type: every id is 0, pairs included
    expect(tok.encode("hello world", "the lower").tokenTypeIds.every((t) => t === 0)).toBe(true);
  });

  it("truncates a pair to maxLength keeping the special tokens", async () => {
    const tok = await loadTokenizer(join(FIXTURES, name));
    const e = tok.encode("the lower newer lowest hello world", "hello world the lower", { maxLength: 9 });
    expect(e.ids).toHaveLength(9);
    expect(e.ids[0]).toBe(0);
    expect(e.ids.at(-1)).toBe(2);
    expect(e.ids.filter((i) => i === 2)).toHaveLength(3);
    expect(e.truncated).toBe(true);
  });
});

function tokenizerError(tj: unknown): string {
  try {
    tokenizerFromJson(tj);
  } catch (e) {
    if (isTunekitError(e, "TOKENIZER_INVALID")) return e.message;
    throw e;
  }
  throw new Error("expected TOKENIZER_INVALID, but the tokenizer was accepted");
}

describe("hostile BPE and Unigram tokenizer.json", () => {
  const bpe = json("roberta-bpe");
  const uni = json("xlmr-unigram");
  const model = (base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> => ({
    ...base,
    model: { ...(base.model as Record<string, unknown>), ...patch },
  });
  it("refuses broken models with TOKENIZER_INVALID", () => {
    const cases: [string, unknown][] = [
      ["unigram vocab not a list", model(uni, { vocab: { a: 1 } })],
      ["unigram entry not a pair", model(uni, { vocab: [["<s>", 0], 7] })],
      ["unigram score not a number", model(uni, { vocab: [["<s>", "x"]] })],
      ["unigram unk_id outside", model(uni, { unk_id: 1e6 })],
      ["unigram unk_id negative", model(uni, { unk_id: -1 })],
      ["unigram empty vocab", model(uni, { vocab: [] })],
      ["bpe merge of unknown tokens", model(bpe, { merges: ["zz qq"] })],
      ["bpe merges not strings", model(bpe, { merges: [42] })],
      ["bpe vocab ids not integers", model(bpe, { vocab: { a: "x" } })],
      ["bpe vocab a list", model(bpe, { vocab: [1, 2] })],
      ["unknown model type", model(bpe, { type: "Bogus" })],
      ["pre_tokenizer not an object", { ...bpe, pre_tokenizer: 5 }],
      [
        "metaspace replacement not a string",
        { ...uni, pre_tokenizer: { type: "Metaspace", replacement: 7 } },
      ],
    ];
    for (const [what, tj] of cases) expect(tokenizerError(tj), what).toMatch(/tokenizer\.json/);
  });
});

describe("BPE and Unigram tokenizer.json under structural mutation", () => {
  it("150 seeded mutations of each: built (and encoding to integer ids) or TOKENIZER_INVALID, each < 1 s", async () => {
    for (const name of ["roberta-bpe", "xlmr-unigram"]) {
      const valid = json(name);
      const rng = mulberry32(name.length);
      const outcomes: string[] = [];
      for (let i = 0; i < 150; i++) {
        const { doc, path } = mutateJson(valid, rng);
        outcomes.push(
          await runHostileCase(
            `${name} case ${i}: ${path}`,
            () => {
              const ids = tokenizerFromJson(doc).encode("hello world, naïve", "the lower").ids;
              if (!ids.every((id) => Number.isInteger(id)))
                throw new Error(`non-integer ids ${ids.join(",")}`);
            },
            { codes: ["TOKENIZER_INVALID"] },
          ),
        );
      }
      expect(outcomes.filter((o) => o === "TOKENIZER_INVALID").length, name).toBeGreaterThan(10);
      expect(outcomes.filter((o) => o === "ok").length, name).toBeGreaterThan(10);
    }
  });
});
