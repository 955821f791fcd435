import { TunekitError } from "../errors.js";
import { byteLevelAlphabet, byteLevelBpeJson } from "./byte-level-bpe-json.js";

/**
 * Options of {@link trainByteLevelBpe}.
 *
 * @example
 * ```ts
 * const opts: ByteLevelBpeOptions = { vocabSize: 8192, specialTokens: ["<|endoftext|>", "<pad>"] };
 * ```
 */
export interface ByteLevelBpeOptions {
  /** Total vocabulary size: special tokens + the 256 bytes + merges. At least 256 + specials. */
  readonly vocabSize: number;
  /** Special tokens, given ids `0 … n-1` in this order and stored as added tokens. Default none. */
  readonly specialTokens?: readonly string[];
  /** A pair seen fewer times than this is never merged (training stops early). Default 2. */
  readonly minFrequency?: number;
}

/**
 * A trained tokenizer: the Hugging Face `tokenizer.json` object and what training saw.
 *
 * @example
 * ```ts
 * const { tokenizerJson, merges, words } = trainByteLevelBpe(["some text"], { vocabSize: 300 });
 * ```
 */
export interface TrainedByteLevelBpe {
  /** A `tokenizer.json` (BPE model, ByteLevel pre-tokenizer and decoder) for `tokenizerFromJson`. */
  readonly tokenizerJson: Record<string, unknown>;
  /** Merges learned, in order (`"a b"`, byte-level symbols). */
  readonly merges: readonly string[];
  /** Distinct pre-tokenized words and their total count in the input. */
  readonly words: { readonly distinct: number; readonly total: number };
}

/** GPT-2's pre-tokenization pattern, which the ByteLevel pre-tokenizer applies (`use_regex`). */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Largest vocabulary accepted: pair keys `a·2^21 + b` stay exact in a double. */
const MAX_VOCAB = 1 << 21;

const invalid = (what: string): TunekitError =>
  new TunekitError("INVALID_ARGUMENT", `trainByteLevelBpe: ${what}`);

function checkOptions(options: ByteLevelBpeOptions): { specials: string[]; minFrequency: number } {
  if (typeof options !== "object" || options === null)
    throw invalid(`options must be an object, got ${String(options)}`);
  const specials = options.specialTokens ?? [];
  if (!Array.isArray(specials)) throw invalid("specialTokens must be an array of strings");
  const seen = new Set<string>();
  for (const [i, s] of specials.entries()) {
    if (typeof s !== "string" || s.length === 0 || s.length > 256) {
      throw invalid(
        `specialTokens[${i}] must be a non-empty string of at most 256 characters, got ${JSON.stringify(s)}`,
      );
    }
    if (seen.has(s)) throw invalid(`specialTokens[${i}] ${JSON.stringify(s)} is repeated; list each once`);
    seen.add(s);
  }
  const v = options.vocabSize;
  if (!Number.isInteger(v) || v < 256 + specials.length || v > MAX_VOCAB) {
    throw invalid(
      `vocabSize must be an integer in [${256 + specials.length}, ${MAX_VOCAB}] (256 bytes + ${specials.length} special tokens at least), got ${String(v)}`,
    );
  }
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw invalid(`minFrequency must be a positive integer, got ${String(minFrequency)}`);
  }
  return { specials: [...specials], minFrequency };
}

/** A max-heap of (count, pair key) with the smaller key first among equal counts. */
class PairHeap {
  readonly #counts: number[] = [];
  readonly #keys: number[] = [];
  get size(): number {
    return this.#keys.length;
  }
  #before(i: number, j: number): boolean {
    const ci = this.#counts[i]!;
    const cj = this.#counts[j]!;
    return ci > cj || (ci === cj && this.#keys[i]! < this.#keys[j]!);
  }
  #swap(i: number, j: number): void {
    [this.#counts[i], this.#counts[j]] = [this.#counts[j]!, this.#counts[i]!];
    [this.#keys[i], this.#keys[j]] = [this.#keys[j]!, this.#keys[i]!];
  }
  push(count: number, key: number): void {
    this.#counts.push(count);
    this.#keys.push(key);
    let i = this.#keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }
  pop(): { count: number; key: number } {
    const top = { count: this.#counts[0]!, key: this.#keys[0]! };
    const lastCount = this.#counts.pop()!;
    const lastKey = this.#keys.pop()!;
    if (this.#keys.length > 0) {
      this.#counts[0] = lastCount;
      this.#keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.#keys.length && this.#before(l, best)) best = l;
        if (r < this.#keys.length && this.#before(r, best)) best = r;
        if (best === i) break;
        this.#swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Counts the GPT-2 pre-tokenized words of `texts` (as UTF-8 byte strings). */
function countWords(texts: Iterable<string>): Map<string, number> {
  if (texts === null || typeof (texts as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== "function") {
    throw invalid(`texts must be an iterable of strings, got ${texts === null ? "null" : typeof texts}`);
  }
  const counts = new Map<string, number>();
  let i = 0;
  for (const text of texts) {
    if (typeof text !== "string")
      throw invalid(`texts[${i}] must be a string, got ${text === null ? "null" : typeof text}`);
    for (const m of text.matchAll(GPT2_SPLIT)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    i++;
  }
  return counts;
}

/**
 * Trains a byte-level BPE tokenizer (GPT-2's scheme) on `texts`: text is split by GPT-2's
 * pattern, each piece becomes its UTF-8 bytes (as GPT-2's printable byte symbols), and the most
 * frequent adjacent pair of symbols is merged until the vocabulary holds `vocabSize` entries
 * (special tokens first, then the 256 bytes, then one entry per merge) or no pair is seen
 * `minFrequency` times. Ties go to the pair of older symbols. Pair counts are updated
 * incrementally (only the words holding the merged pair are revisited), so a corpus of a few
 * million words trains in seconds. Every string round-trips: any byte is a symbol.
 *
 * Invalid options or a non-string text throw `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const { tokenizerJson } = trainByteLevelBpe(corpus, { vocabSize: 8192, specialTokens: ["<|endoftext|>"] });
 * const tok = tokenizerFromJson(tokenizerJson);
 * tok.decode(tok.tokenize("héllo 👋")); // "héllo 👋"
 * ```
 */
export function trainByteLevelBpe(
  texts: Iterable<string>,
  options: ByteLevelBpeOptions,
): TrainedByteLevelBpe {
  const { specials, minFrequency } = checkOptions(options);
  const alphabet = byteLevelAlphabet();
  const reserved = new Set(alphabet);
  for (const s of specials) {
    if (reserved.has(s))
      throw invalid(`special token ${JSON.stringify(s)} is also a byte symbol; pick another name`);
  }
  const counts = countWords(texts);
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freq: number[] = [];
  let total = 0;
  for (const [w, c] of counts) {
    words.push(Int32Array.from(encoder.encode(w)));
    freq.push(c);
    total += c;
  }
  const symbols: string[] = [...alphabet]; // internal id → byte-level string
  const symbolIds = new Map(symbols.map((s, i) => [s, i]));
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const key = (a: number, b: number): number => a * MAX_VOCAB + b;
  for (const [w, word] of words.entries()) {
    for (let i = 0; i + 1 < word.length; i++) {
      const k = key(word[i]!, word[i + 1]!);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + freq[w]!);
      let s = where.get(k);
      if (s === undefined) where.set(k, (s = new Set()));
      s.add(w);
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCounts) heap.push(c, k);
  const merges: string[] = [];
  const target = options.vocabSize - specials.length;
  while (symbols.length < target && heap.size > 0) {
    const { count, key: k } = heap.pop();
    if (pairCounts.get(k) !== count) continue; // stale entry: the pair's count changed since
    if (count < minFrequency) break;
    const a = Math.floor(k / MAX_VOCAB);
    const b = k - a * MAX_VOCAB;
    // Two merge paths can spell the same string ("ab c", "a bc"): it keeps its first id.
    const spelled = symbols[a]! + symbols[b]!;
    let merged = symbolIds.get(spelled);
    if (merged === undefined) {
      merged = symbols.length;
      symbols.push(spelled);
      symbolIds.set(spelled, merged);
    }
    merges.push(`${symbols[a]} ${symbols[b]}`);
    const changed = new Map<number, number>(); // pair → count delta
    const bump = (pk: number, delta: number): void => {
      changed.set(pk, (changed.get(pk) ?? 0) + delta);
    };
    for (const w of where.get(k) ?? []) {
      const word = words[w]!;
      const f = freq[w]!;
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(word[i]!);
      }
      if (next.length === word.length) continue;
      for (let i = 0; i + 1 < word.length; i++) bump(key(word[i]!, word[i + 1]!), -f);
      for (let i = 0; i + 1 < next.length; i++) {
        const nk = key(next[i]!, next[i + 1]!);
        bump(nk, f);
        let s = where.get(nk);
        if (s === undefined) where.set(nk, (s = new Set()));
        s.add(w);
      }
      words[w] = Int32Array.from(next);
    }
    for (const [pk, delta] of changed) {
      if (delta === 0) continue;
      const c = (pairCounts.get(pk) ?? 0) + delta;
      if (c > 0) {
        pairCounts.set(pk, c);
        heap.push(c, pk);
      } else {
        pairCounts.delete(pk);
        where.delete(pk);
      }
    }
    pairCounts.delete(k);
    where.delete(k);
  }
  return {
    tokenizerJson: trainedBpeJson(specials, symbols, merges),
    merges,
    words: { distinct: counts.size, total },
  };
}

/** The `tokenizer.json` of a trained byte-level BPE: specials first, then bytes and merges. */
function trainedBpeJson(
  specials: readonly string[],
  symbols: readonly string[],
  merges: readonly string[],
): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  specials.forEach((s, i) => {
    vocab[s] = i;
  });
  symbols.forEach((s, i) => {
    vocab[s] = specials.length + i;
  });
  return byteLevelBpeJson(
    vocab,
    merges,
    specials.map((content, id) => ({ content, id })),
  );
}
