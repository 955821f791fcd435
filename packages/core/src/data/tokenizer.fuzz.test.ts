import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRepoRoot } from "../testing/parity-fixtures.js";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes, hostileJson } from "../testing/properties.js";
import { mulberry32 } from "./random.js";
import { loadTokenizer, type Tokenizer, tokenizerFromJson } from "./tokenizer.js";

// Hostile tokenizer.json / tokenizer_config.json: loading either works (and the tokenizer
// then encodes without crashing) or throws TOKENIZER_INVALID, each case within 1 s.
const CODES = ["TOKENIZER_INVALID"] as const;
const BERT = join(findRepoRoot()!, "../shared/tokenizers/bert-base-uncased");
const enc = new TextEncoder();
const TEXTS = ["Hello World!", "naïve café — 漢字 😀", "", " ", "a".repeat(300)];

let dir = "";
/** bert-base-uncased's tokenizer.json with the vocabulary cut to ids < 1000 (fast to rebuild). */
let small: Record<string, unknown>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-tok-fuzz-"));
  const full = JSON.parse(await readFile(join(BERT, "tokenizer.json"), "utf8")) as {
    model: { vocab: Record<string, number> };
  };
  const vocab = Object.fromEntries(Object.entries(full.model.vocab).filter(([, id]) => id < 1000));
  small = { ...full, model: { ...full.model, vocab } };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Uses a loaded tokenizer the way training does: single texts, pairs, a padded batch. */
function exercise(tok: Tokenizer): void {
  for (const t of TEXTS) {
    const { ids } = tok.encode(t, undefined, { maxLength: 16 });
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= tok.vocabSize);
    if (bad !== undefined) throw new Error(`id ${bad} outside the vocabulary [0, ${tok.vocabSize})`);
  }
  tok.encode(TEXTS[0]!, TEXTS[1]!, { maxLength: 8 });
  tok.encodeBatch([TEXTS[1]!, [TEXTS[0]!, TEXTS[2]!]], { maxLength: 32 });
  tok.decode(tok.encode(TEXTS[0]!).ids);
}

async function loadBytes(bytes: Uint8Array | string, config?: Uint8Array | string): Promise<void> {
  await writeFile(join(dir, "tokenizer.json"), bytes);
  if (config === undefined) await rm(join(dir, "tokenizer_config.json"), { force: true });
  else await writeFile(join(dir, "tokenizer_config.json"), config);
  exercise(await loadTokenizer(dir));
}

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

describe("tokenizer inputs under hostile use", () => {
  it("decode: non-integer ids are INVALID_ARGUMENT (not blamed on the file); [] decodes to ''", () => {
    const tok = tokenizerFromJson(small);
    for (const ids of [[1.5], [Number.NaN], [101, Number.POSITIVE_INFINITY]]) {
      expect(() => tok.decode(ids)).toThrow(
        expect.objectContaining({
          code: "INVALID_ARGUMENT",
          message: expect.stringMatching(/must be integers/),
        }),
      );
    }
    expect(tok.decode([])).toBe("");
    expect(tok.decode([-1, 10 ** 9])).toBe("[UNK] [UNK]"); // out-of-range ids: the library's [UNK]
  });
});

describe("tokenizer files under hostile input", () => {
  it("the cut-down tokenizer loads and encodes (so mutations start from a good file)", async () => {
    await loadBytes(JSON.stringify(small), '{"do_lower_case": true}');
    const tok = tokenizerFromJson(small);
    expect(tok.encode("hello").ids[0]).toBe(101);
  });

  it("200 seeded byte mutations of tokenizer.json: loads and encodes, or TOKENIZER_INVALID", async () => {
    // Mutate the structural part (everything but the long vocabulary) so cases hit the parser.
    const { model, ...rest } = small as { model: Record<string, unknown> };
    const head = JSON.stringify({ ...rest, model: { ...model, vocab: "@@" } });
    const vocab = JSON.stringify((model as { vocab: unknown }).vocab);
    const outcomes: HostileOutcome[] = [];
    for (const { bytes, what } of mutations(enc.encode(head), 200, 31337)) {
      const text = new TextDecoder().decode(bytes).replace('"@@"', vocab);
      outcomes.push(await runHostileCase(what, () => loadBytes(text), { codes: CODES }));
    }
    const t = tally(outcomes);
    expect(t.TOKENIZER_INVALID ?? 0).toBeGreaterThan(50);
    expect(t.ok ?? 0).toBeGreaterThan(0);
  });

  it("300 seeded structural mutations (a section, option or entry replaced or deleted)", async () => {
    const rng = mulberry32(11);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 300; i++) {
      const { doc, path } = mutateJson(small, rng);
      outcomes.push(
        await runHostileCase(`case ${i}: ${path}`, () => exercise(tokenizerFromJson(doc)), { codes: CODES }),
      );
    }
    const t = tally(outcomes);
    expect(t.TOKENIZER_INVALID ?? 0).toBeGreaterThan(20);
    expect(t.ok ?? 0).toBeGreaterThan(20);
  });

  it("100 seeded mutations of tokenizer_config.json (optional file: bad JSON is still an error)", async () => {
    const valid = JSON.stringify({ do_lower_case: true, model_max_length: 512, pad_token: "[PAD]" });
    const tokenizer = JSON.stringify(small);
    for (const { bytes, what } of mutations(enc.encode(valid), 100, 5)) {
      await runHostileCase(what, () => loadBytes(tokenizer, bytes), { codes: CODES });
    }
    const rng = mulberry32(12);
    for (let i = 0; i < 100; i++) {
      const { doc, path } = mutateJson(JSON.parse(valid), rng);
      await runHostileCase(`config case ${i}: ${path}`, () => exercise(tokenizerFromJson(small, doc)), {
        codes: CODES,
      });
    }
  });

  it("crafted: special-token ids outside the vocabulary are rejected at load", async () => {
    const pp = JSON.parse(JSON.stringify(small.post_processor)) as {
      special_tokens: Record<string, { ids: number[] }>;
    };
    pp.special_tokens["[CLS]"]!.ids = [99_999];
    const doc = { ...small, post_processor: pp };
    expect(
      await runHostileCase("[CLS] id 99999", () => exercise(tokenizerFromJson(doc)), { codes: CODES }),
    ).toBe("TOKENIZER_INVALID");
  });

  it("crafted files: empty, BOM, NUL, invalid UTF-8, deep nesting, wrong top level", async () => {
    const good = JSON.stringify(small);
    const cases: [string, Uint8Array | string][] = [
      ["empty file", ""],
      ["NUL", `${good.slice(0, 50)}\u0000${good.slice(50)}`],
      [
        "invalid UTF-8",
        new Uint8Array([...enc.encode(good.slice(0, 100)), 0xff, ...enc.encode(good.slice(100))]),
      ],
      ["deep nesting (100k)", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
      ["deep nesting in the model (100k)", `{"model":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`],
      ["top-level array", "[]"],
      ["top-level string", '"tokenizer"'],
      ["no model", JSON.stringify({ ...small, model: undefined })],
      ["model is a number", JSON.stringify({ ...small, model: 3 })],
      ["unknown model type", JSON.stringify({ ...small, model: { type: "Nope", vocab: {} } })],
      ["unknown normalizer", JSON.stringify({ ...small, normalizer: { type: "Nope" } })],
      ["post_processor a string", JSON.stringify({ ...small, post_processor: "x" })],
      [
        "unk_token not in the vocabulary",
        JSON.stringify({ ...small, model: { ...(small.model as object), unk_token: "[NOPE]" } }),
      ],
      [
        "special token not in vocab",
        JSON.stringify({
          ...small,
          post_processor: { type: "BertProcessing", sep: ["[SEP]", 2 ** 40], cls: 5 },
        }),
      ],
    ];
    for (const [label, content] of cases) {
      expect(await runHostileCase(label, () => loadBytes(content), { codes: CODES }), label).toBe(
        "TOKENIZER_INVALID",
      );
    }
    // A UTF-8 BOM before the JSON is tolerated (the decoder drops it).
    expect(await runHostileCase("BOM", () => loadBytes(`\uFEFF${good}`), { codes: CODES })).toBe("ok");
    expect(
      await runHostileCase("tokenizer_config not JSON", () => loadBytes(good, "{do_lower_case"), {
        codes: CODES,
      }),
    ).toBe("TOKENIZER_INVALID");
    expect(
      await runHostileCase("tokenizer_config array", () => loadBytes(good, "[]"), { codes: CODES }),
    ).toBe("TOKENIZER_INVALID");
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases): the
// loaded tokenizer must also encode and decode (ids inside the vocabulary) or fail typed.
describe("tokenizer.json: fast-check properties", () => {
  it("hostile JSON documents (a section, option or entry replaced or deleted)", async () => {
    const t = await assertHostileProperty(hostileJson(small), (doc) => exercise(tokenizerFromJson(doc)), {
      codes: CODES,
      seed: 31,
      numRuns: 300,
    });
    expect(t.TOKENIZER_INVALID ?? 0).toBeGreaterThan(10);
    expect(t.ok ?? 0).toBeGreaterThan(10);
  });

  it("hostile bytes of the structural part of tokenizer.json, loaded from disk", async () => {
    const { model, ...rest } = small as { model: Record<string, unknown> };
    const head = enc.encode(JSON.stringify({ ...rest, model: { ...model, vocab: "@@" } }));
    const vocab = JSON.stringify((model as { vocab: unknown }).vocab);
    const t = await assertHostileProperty(
      hostileBytes(head),
      (b) => loadBytes(new TextDecoder().decode(b).replace('"@@"', vocab)),
      { codes: CODES, seed: 32, numRuns: 150 },
    );
    expect(t.TOKENIZER_INVALID ?? 0).toBeGreaterThan(50);
  });
});
