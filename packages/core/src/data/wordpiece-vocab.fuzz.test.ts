import { describe, expect, it } from "vitest";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes, hostileJson } from "../testing/properties.js";
import { mulberry32 } from "./random.js";
import type { Tokenizer } from "./tokenizer.js";
import { tokenizerFromJson } from "./tokenizer.js";
import { tokenizerJsonFromVocab } from "./wordpiece-vocab.js";

// Hostile vocab.txt / tokenizer_config.json / special_tokens_map.json: building a WordPiece
// tokenizer either works (and it then encodes every text with ids inside its vocabulary) or
// throws TOKENIZER_INVALID, each case within 1 s. Seeds fixed, counts bounded.
const CODES = ["TOKENIZER_INVALID"] as const;
const VOCAB = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "the",
  "a",
  "film",
  "good",
  "bad",
  "##s",
  "##ly",
  "!",
  ".",
  "é",
  "漢",
].join("\n");
const CONFIG = {
  do_lower_case: true,
  model_max_length: 32,
  tokenize_chinese_chars: true,
  strip_accents: null,
};
const SPECIALS = {
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: { content: "[PAD]", lstrip: false },
  cls_token: "[CLS]",
  mask_token: "[MASK]",
  additional_special_tokens: ["[E]"],
};
const TEXTS = ["The films GOOD!", "naïve café — 漢字 😀 [MASK] [E]", "", "a".repeat(300)];
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

function build(vocab: string, config: unknown, specials: unknown): void {
  const { tokenizerJson, config: merged } = tokenizerJsonFromVocab(
    vocab,
    config as Record<string, unknown>,
    specials as Record<string, unknown>,
    {},
    "fuzz/vocab.txt",
  );
  exercise(tokenizerFromJson(tokenizerJson, merged, "fuzz/vocab.txt"));
}

function exercise(tok: Tokenizer): void {
  for (const t of TEXTS) {
    const { ids } = tok.encode(t, t, { maxLength: 24 });
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= tok.vocabSize);
    if (bad !== undefined) throw new Error(`id ${bad} outside the vocabulary [0, ${tok.vocabSize})`);
  }
  tok.decode(tok.encode(TEXTS[0]!).ids);
}

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

describe("WordPiece vocabularies under hostile input", () => {
  it("the valid inputs build (so the mutations start from good files)", () => {
    build(VOCAB, CONFIG, SPECIALS);
  });

  it("300 seeded byte mutations of vocab.txt", async () => {
    const outcomes: HostileOutcome[] = [];
    for (const { bytes, what } of mutations(enc.encode(VOCAB), 300, 31)) {
      outcomes.push(
        await runHostileCase(what, () => build(dec.decode(bytes), CONFIG, SPECIALS), { codes: CODES }),
      );
    }
    expect(tally(outcomes).ok ?? 0).toBeGreaterThan(100); // most edits leave a usable vocabulary
  });

  it("300 seeded structural mutations of tokenizer_config.json and special_tokens_map.json", async () => {
    const rng = mulberry32(17);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 300; i++) {
      const config = i % 2 === 0 ? mutateJson(CONFIG, rng) : { doc: CONFIG, path: "-" };
      const specials = i % 2 === 1 ? mutateJson(SPECIALS, rng) : { doc: SPECIALS, path: "-" };
      outcomes.push(
        await runHostileCase(
          `case ${i}: config ${config.path}, specials ${specials.path}`,
          () => build(VOCAB, config.doc, specials.doc),
          { codes: CODES },
        ),
      );
    }
    const t = tally(outcomes);
    expect(t.TOKENIZER_INVALID ?? 0).toBeGreaterThan(20);
    expect(t.ok ?? 0).toBeGreaterThan(20);
  });

  it("crafted: a 100k-token vocabulary of one line each, tokens that are empty, blank or __proto__", async () => {
    const big = Array.from({ length: 100_000 }, (_, i) => `w${i}`).join("\n");
    for (const [label, vocab] of [
      ["100k tokens", `[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n${big}`],
      ["empty and blank lines", "[UNK]\n\n \n\t\n[CLS]\n[SEP]\n"],
      ["__proto__ and constructor", "__proto__\nconstructor\n[UNK]\n[CLS]\n[SEP]\n"],
      ["no special tokens at all", "the\nfilm\n"],
    ] as const) {
      expect(await runHostileCase(label, () => build(vocab, CONFIG, {}), { codes: CODES }), label).toBe("ok");
    }
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases).
describe("vocab.txt: fast-check properties", () => {
  it("hostile bytes of vocab.txt build a tokenizer that encodes, or TOKENIZER_INVALID", async () => {
    const t = await assertHostileProperty(
      hostileBytes(enc.encode(VOCAB)),
      (b) => build(dec.decode(b), CONFIG, SPECIALS),
      {
        codes: CODES,
        seed: 41,
        numRuns: 400,
      },
    );
    expect(t.ok ?? 0).toBeGreaterThan(50);
  });

  it("hostile tokenizer_config.json and special_tokens_map.json documents", async () => {
    await assertHostileProperty(hostileJson(CONFIG), (doc) => build(VOCAB, doc, SPECIALS), {
      codes: CODES,
      seed: 42,
      numRuns: 200,
    });
    const t = await assertHostileProperty(hostileJson(SPECIALS), (doc) => build(VOCAB, CONFIG, doc), {
      codes: CODES,
      seed: 43,
      numRuns: 200,
    });
    expect(t.ok ?? 0).toBeGreaterThan(10);
  });
});
