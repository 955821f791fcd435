import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { trainByteLevelBpe } from "./bpe-trainer.js";
import { tokenizerFromJson } from "./tokenizer.js";

const SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"];
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Plain BPE as written in Sennrich et al. (2016): recount every pair of every word after each
 * merge, take the most frequent (ties: the pair of smaller symbol ids), merge left to right.
 * The trainer's incremental counts must give exactly the same merges.
 */
function naiveMerges(texts: readonly string[], numMerges: number, minFrequency: number): [number, number][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(SPLIT)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  let words = [...counts].map(([w, c]) => ({ syms: [...new TextEncoder().encode(w)], c }));
  const spelled = Array.from({ length: 256 }, (_, b) => String(b));
  const ids = new Map(spelled.map((s, i) => [s, i]));
  const merges: [number, number][] = [];
  while (merges.length < numMerges) {
    const pairs = new Map<string, number>();
    for (const w of words)
      for (let i = 0; i + 1 < w.syms.length; i++) {
        const k = `${w.syms[i]},${w.syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + w.c);
      }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [k, c] of pairs) {
      const [a, b] = k.split(",").map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (best === undefined || bestCount < minFrequency) break;
    const [a, b] = best;
    // the same spelling through another merge path keeps its first id
    const flat = `${spelled[a]}|${spelled[b]}`;
    let merged = ids.get(flat);
    if (merged === undefined) {
      merged = spelled.length;
      spelled.push(flat);
      ids.set(flat, merged);
    }
    merges.push(best);
    words = words.map((w) => {
      const out: number[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(w.syms[i]!);
      }
      return { syms: out, c: w.c };
    });
  }
  return merges;
}

const CORPUS = [
  "the lowest lower low newer newest wider widest",
  "the the the low low lower newest newest newest",
  "a film that's funny, funnier, the funniest!",
  "it's not the film I'd see again -- 10/10? no: 3/10.",
  "aaaa aaa aa a abab ababab",
];

function expectCode(f: () => unknown, code: string, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isTunekitError(e, code as "INVALID_ARGUMENT")).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error("expected a TunekitError");
}

describe("trainByteLevelBpe", () => {
  it("learns the merges of plain recount-everything BPE, in the same order", () => {
    const { merges, tokenizerJson } = trainByteLevelBpe(CORPUS, { vocabSize: 256 + 60, minFrequency: 2 });
    const reference = naiveMerges(CORPUS, 60, 2);
    expect(merges.length).toBe(reference.length);
    expect(merges.length).toBeGreaterThan(20);
    // Compare as byte sequences: the trainer writes byte-level symbols, the reference byte ids.
    const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;
    const alphabetOf = new Map<string, number>();
    for (const [s, id] of Object.entries(vocab)) if (id < 256) alphabetOf.set(s, id);
    const bytesOf = (sym: string): number[] => [...sym].map((ch) => alphabetOf.get(ch)!);
    const refSpelling: number[][] = Array.from({ length: 256 }, (_, b) => [b]);
    const seen = new Map<string, number>();
    reference.forEach(([a, b], i) => {
      const bytes = [...refSpelling[a]!, ...refSpelling[b]!];
      if (!seen.has(bytes.join())) {
        seen.set(bytes.join(), refSpelling.length);
        refSpelling.push(bytes);
      }
      const [left, right] = merges[i]!.split(" ") as [string, string];
      expect([bytesOf(left), bytesOf(right)]).toEqual([refSpelling[a], refSpelling[b]]);
    });
  });

  it("writes a dense vocabulary: specials first, then the 256 bytes, then one entry per new merge", () => {
    const { tokenizerJson, merges } = trainByteLevelBpe(CORPUS, {
      vocabSize: 300,
      specialTokens: SPECIALS,
      minFrequency: 1,
    });
    const model = tokenizerJson.model as { vocab: Record<string, number>; merges: string[] };
    const ids = Object.values(model.vocab).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(SPECIALS.map((s) => model.vocab[s])).toEqual([0, 1, 2, 3]);
    expect(model.merges).toEqual(merges);
    for (const m of merges) expect(model.vocab[m.replace(" ", "")]).toBeGreaterThanOrEqual(4 + 256);
    expect(
      (tokenizerJson.added_tokens as { id: number; content: string }[]).map((t) => [t.id, t.content]),
    ).toEqual(SPECIALS.map((s, i) => [i, s]));
  });

  it("loads with tokenizerFromJson: frequent words are one token, special tokens are single ids", () => {
    const tok = tokenizerFromJson(
      trainByteLevelBpe(CORPUS, { vocabSize: 320, specialTokens: SPECIALS, minFrequency: 1 }).tokenizerJson,
      {
        pad_token: "<pad>",
      },
    );
    expect(tok.vocabSize).toBe(320);
    expect(tok.padId).toBe(3);
    expect(tok.tokenize(" newest")).toHaveLength(1);
    expect(tok.tokenize("the")).toHaveLength(1);
    expect(tok.tokenize("zqx").length).toBe(3); // unseen letters stay bytes
    const chat = tok.tokenize("<|im_start|>user\nhi<|im_end|>");
    expect(chat[0]).toBe(1);
    expect(chat.at(-1)).toBe(2);
  });

  it("round-trips any text: unicode, emoji, combining marks, whitespace runs, control characters", () => {
    const tok = tokenizerFromJson(
      trainByteLevelBpe(CORPUS, { vocabSize: 400, specialTokens: SPECIALS }).tokenizerJson,
    );
    const samples = [
      "the newest film",
      "  leading and trailing  ",
      "tabs\tand\nnew\r\nlines\n\n\n",
      "héllo wörld — naïve café",
      "日本語のテキスト、中文文本",
      "emoji 👋🏽 👨‍👩‍👧 🇫🇷 ✨",
      "e\u0301 combining, zero\u200bwidth",
      "\u0000\u0007 control \u007f",
      "mixed 123,456.78 $%^&* 'quoted' it's",
      "\u{10fffd} private use",
    ];
    for (const s of samples) expect(tok.decode(tok.tokenize(s))).toBe(s);
  });

  it("stops at minFrequency and trains a long repetitive text quickly", () => {
    const few = trainByteLevelBpe(["ab ab ab cd"], { vocabSize: 1000, minFrequency: 2 });
    expect(few.merges).toEqual(["a b", "Ġ ab"]); // " ab" twice; everything else once
    // one 100,000-byte word: each merge rewrites it once (training takes ~0.1 s here)
    const t0 = performance.now();
    const { tokenizerJson } = trainByteLevelBpe(["a".repeat(100_000), " b"], { vocabSize: 300 });
    expect(performance.now() - t0).toBeLessThan(10_000);
    const tok = tokenizerFromJson(tokenizerJson);
    const text = "a".repeat(1500); // the tokenizer library's own BPE is slow on one long word
    expect(tok.decode(tok.tokenize(text))).toBe(text);
    expect(tok.tokenize(text).length).toBeLessThan(text.length / 100);
  });

  it("rejects hostile options and inputs with INVALID_ARGUMENT, saying what was received", () => {
    const bad: [() => unknown, RegExp][] = [
      [() => trainByteLevelBpe(CORPUS, { vocabSize: Number.NaN }), /vocabSize must be an integer.*got NaN/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 100 }), /vocabSize .*got 100/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 257, specialTokens: SPECIALS }), /\[260, .*got 257/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 1e12 }), /vocabSize/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ["<a>", "<a>"] }), /repeated/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: [""] }), /non-empty string/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: [7 as unknown as string] }), /got 7/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ["a"] }), /also a byte symbol/],
      [() => trainByteLevelBpe(CORPUS, { vocabSize: 300, minFrequency: 0 }), /minFrequency .*got 0/],
      [
        () => trainByteLevelBpe(null as unknown as string[], { vocabSize: 300 }),
        /iterable of strings, got null/,
      ],
      [
        () => trainByteLevelBpe(["ok", 5 as unknown as string], { vocabSize: 300 }),
        /texts\[1\] must be a string, got number/,
      ],
      [
        () => trainByteLevelBpe(CORPUS, null as unknown as { vocabSize: number }),
        /options must be an object/,
      ],
    ];
    for (const [f, pattern] of bad) expectCode(f, "INVALID_ARGUMENT", pattern);
  });

  it("gives an empty merge list (bytes only) for an empty corpus, which still round-trips", () => {
    const { merges, words, tokenizerJson } = trainByteLevelBpe([], {
      vocabSize: 300,
      specialTokens: SPECIALS,
    });
    expect(merges).toEqual([]);
    expect(words).toEqual({ distinct: 0, total: 0 });
    const tok = tokenizerFromJson(tokenizerJson);
    expect(tok.vocabSize).toBe(260);
    expect(tok.decode(tok.tokenize("any text ✓"))).toBe("any text ✓");
  });
});
