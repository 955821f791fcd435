import { TunekitError } from "../errors.js";

const MODEL_TYPES = ["BPE", "Unigram", "WordPiece", "WordLevel"];

/**
 * Checks the `model` section of a parsed `tokenizer.json` (and its Metaspace pre-tokenizer or
 * decoder) before the tokenizer library builds it, so a broken or hostile file is a
 * `TOKENIZER_INVALID` naming the field instead of a crash, a silent fallback or ids that are
 * not integers later:
 * - `type` one of BPE, Unigram, WordPiece, WordLevel (a missing type is left to the library);
 * - BPE / WordPiece / WordLevel: `vocab` an object of non-negative integer ids; BPE `merges`
 *   a list of `"a b"` strings or `[a, b]` pairs whose parts and result are in the vocabulary
 *   (as the Rust library requires);
 * - Unigram: `vocab` a non-empty list of `[piece, finite score]`, `unk_id` null or an index
 *   into it;
 * - Metaspace: `replacement` one character, `prepend_scheme` always / never / first.
 *
 * @example
 * ```ts
 * checkTokenizerModel(JSON.parse(text), "xlmr/tokenizer.json"); // throws TOKENIZER_INVALID on a bad model
 * ```
 */
export function checkTokenizerModel(tokenizerJson: Record<string, unknown>, source: string): void {
  const fail = (what: string): never => {
    throw new TunekitError(
      "TOKENIZER_INVALID",
      `${source}: ${what}; expected a Hugging Face tokenizer.json (re-save it with transformers' save_pretrained)`,
    );
  };
  const model = tokenizerJson.model;
  if (!isRecord(model)) return; // reported by the caller
  const type = model.type;
  if (type !== undefined && !MODEL_TYPES.includes(type as string)) {
    fail(`model.type ${JSON.stringify(type)} is not one of ${MODEL_TYPES.join(", ")}`);
  }
  if (type === "Unigram") checkUnigram(model, fail);
  else if (type !== undefined || !Array.isArray(model.vocab)) checkIdVocab(model, type === "BPE", fail);
  for (const key of ["pre_tokenizer", "decoder"]) {
    for (const m of metaspaces(tokenizerJson[key])) {
      if (typeof m.replacement !== "string" || [...m.replacement].length !== 1) {
        fail(`${key} Metaspace replacement must be one character, got ${JSON.stringify(m.replacement)}`);
      }
      const scheme = m.prepend_scheme;
      if (scheme !== undefined && !["always", "never", "first"].includes(scheme as string)) {
        fail(
          `${key} Metaspace prepend_scheme must be "always", "never" or "first", got ${JSON.stringify(scheme)}`,
        );
      }
    }
  }
}

function checkUnigram(model: Record<string, unknown>, fail: (what: string) => never): void {
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length === 0) {
    fail("Unigram model.vocab must be a non-empty list of [piece, score] pairs");
  }
  const list = vocab as unknown[];
  list.forEach((entry, i) => {
    const ok =
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === "string" &&
      typeof entry[1] === "number" &&
      Number.isFinite(entry[1]);
    if (!ok) fail(`Unigram model.vocab[${i}] must be [piece, finite score], got ${short(entry)}`);
  });
  const unk = model.unk_id;
  if (
    unk !== undefined &&
    unk !== null &&
    !(Number.isInteger(unk) && (unk as number) >= 0 && (unk as number) < list.length)
  ) {
    fail(`Unigram model.unk_id must be null or an index in [0, ${list.length - 1}], got ${short(unk)}`);
  }
}

function checkIdVocab(model: Record<string, unknown>, bpe: boolean, fail: (what: string) => never): void {
  const vocab = model.vocab;
  if (!isRecord(vocab)) fail(`model.vocab must be an object {"token": id}, got ${short(vocab)}`);
  const v = vocab as Record<string, unknown>;
  for (const [token, id] of Object.entries(v)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      fail(
        `model.vocab[${JSON.stringify(token.slice(0, 40))}] must be a non-negative integer id, got ${short(id)}`,
      );
    }
  }
  if (!bpe) return;
  const merges = model.merges ?? [];
  if (!Array.isArray(merges)) fail(`BPE model.merges must be a list, got ${short(merges)}`);
  (merges as unknown[]).forEach((m, i) => {
    let pair: unknown[] | undefined;
    if (typeof m === "string") {
      const parts = m.split(" ");
      pair = parts.length === 2 ? parts : undefined;
    } else if (Array.isArray(m) && m.length === 2) pair = m;
    if (pair === undefined || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      fail(`BPE model.merges[${i}] must be "a b" or ["a", "b"], got ${short(m)}`);
    }
    const [a, b] = pair as [string, string];
    for (const t of [a, b, a + b]) {
      if (!Object.hasOwn(v, t))
        fail(`BPE model.merges[${i}] (${short(m)}) uses ${JSON.stringify(t)}, which is not in model.vocab`);
    }
  });
}

function metaspaces(section: unknown): Record<string, unknown>[] {
  if (!isRecord(section)) return [];
  if (section.type === "Metaspace") return [section];
  const inner = section.pretokenizers ?? section.decoders;
  return Array.isArray(inner) ? inner.flatMap((s) => metaspaces(s)) : [];
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
