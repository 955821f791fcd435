import { TunekitError } from "../errors.js";

/** The special tokens of a BERT tokenizer, with their defaults (transformers' `BertTokenizer`). */
const SPECIAL_DEFAULTS = {
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  mask_token: "[MASK]",
} as const;

/**
 * Largest `vocab.txt` read (64 MiB; bert-base-multilingual's is under 1 MiB); a larger file is
 * `TOKENIZER_INVALID`.
 *
 * @example
 * ```ts
 * MAX_VOCAB_TXT_BYTES; // 67108864
 * ```
 */
export const MAX_VOCAB_TXT_BYTES = 64 * 1024 * 1024;

/**
 * Builds the `tokenizer.json` that transformers' `BertTokenizerFast` derives from a slow
 * WordPiece tokenizer (its `BertConverter`): the vocabulary of `vocab.txt` (one token a line,
 * the id is the line number; `\r\n` line ends allowed; a repeated token keeps its last id, as
 * `BertTokenizer` does), a `BertNormalizer` with `do_lower_case` (default true),
 * `tokenize_chinese_chars` (default true) and `strip_accents` (default: follow lower-casing),
 * `[CLS] A [SEP] B [SEP]` templates, and the special tokens of `tokenizer_config.json` and
 * `special_tokens_map.json` (the latter wins, as in transformers), plus
 * `additional_special_tokens`, `added_tokens_decoder` and `added_tokens.json` entries, as
 * added tokens. Tokens missing from the vocabulary get the next ids, as transformers adds
 * them. Hand the result to {@link tokenizerFromJson}, with the merged config it returns.
 *
 * @example
 * ```ts
 * const { tokenizerJson, config } = tokenizerJsonFromVocab(vocabText, { do_lower_case: true });
 * const tok = tokenizerFromJson(tokenizerJson, config, "bert/vocab.txt");
 * ```
 */
export function tokenizerJsonFromVocab(
  vocabText: string,
  tokenizerConfig: Readonly<Record<string, unknown>> = {},
  specialTokensMap: Readonly<Record<string, unknown>> = {},
  addedTokens: Readonly<Record<string, unknown>> = {},
  source = "vocab.txt",
): { tokenizerJson: Record<string, unknown>; config: Record<string, unknown> } {
  const invalid = (msg: string): TunekitError =>
    new TunekitError("TOKENIZER_INVALID", `${source}: ${msg}`, { details: { file: source } });
  if (typeof vocabText !== "string") throw invalid("vocab.txt must be text");
  const lines = vocabText.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop(); // the final newline
  if (lines.length === 0) throw invalid("the vocabulary is empty; expected one WordPiece token a line");
  const vocab: Record<string, number> = Object.create(null);
  lines.forEach((line, i) => {
    vocab[line.endsWith("\r") ? line.slice(0, -1) : line] = i;
  });
  let nextId = lines.length;

  const config: Record<string, unknown> = { ...tokenizerConfig, ...specialTokensMap };
  const content = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "object" && typeof (v as { content?: unknown }).content === "string") {
      return (v as { content: string }).content;
    }
    throw invalid(`${key} is ${JSON.stringify(v)}; expected a token string or {"content": token}`);
  };
  const flag = (key: string, fallback: boolean | null): boolean | null => {
    const v = config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") throw invalid(`${key} is ${JSON.stringify(v)}; expected true or false`);
    return v;
  };
  const lowercase = flag("do_lower_case", true);
  const added = new Map<string, Record<string, unknown>>();
  const addToken = (
    token: string,
    special: boolean,
    extra: Record<string, unknown> = {},
    id?: number,
  ): void => {
    if (added.has(token)) return;
    let tokenId = vocab[token] ?? id;
    if (tokenId === undefined) {
      tokenId = nextId++;
      vocab[token] = tokenId;
    } else if (vocab[token] === undefined) {
      vocab[token] = tokenId;
      nextId = Math.max(nextId, tokenId + 1);
    }
    added.set(token, {
      id: tokenId,
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: !special,
      special,
      ...extra,
    });
  };
  const specials: Record<keyof typeof SPECIAL_DEFAULTS, string> = { ...SPECIAL_DEFAULTS };
  for (const key of Object.keys(SPECIAL_DEFAULTS) as (keyof typeof SPECIAL_DEFAULTS)[]) {
    specials[key] = content(config[key], key) ?? SPECIAL_DEFAULTS[key];
  }
  // transformers adds the special tokens in this order (pad, unk, cls, sep, mask by id in practice)
  for (const token of Object.values(specials).sort((a, b) => (vocab[a] ?? 1e12) - (vocab[b] ?? 1e12))) {
    addToken(token, true);
  }
  const extraSpecials = config.additional_special_tokens;
  if (extraSpecials !== undefined && extraSpecials !== null) {
    if (!Array.isArray(extraSpecials)) throw invalid("additional_special_tokens must be a list of tokens");
    for (const t of extraSpecials) addToken(content(t, "additional_special_tokens")!, true);
  }
  const decoderEntries = config.added_tokens_decoder;
  if (typeof decoderEntries === "object" && decoderEntries !== null) {
    for (const [id, entry] of Object.entries(decoderEntries)) {
      const token = content(entry, `added_tokens_decoder[${id}]`);
      if (token === undefined || !/^\d+$/.test(id))
        throw invalid(`added_tokens_decoder[${id}] is not {"content": token}`);
      const e = entry as Record<string, unknown>;
      const bool = (k: string) => (typeof e[k] === "boolean" ? { [k]: e[k] } : {});
      addToken(
        token,
        e.special === true,
        { ...bool("lstrip"), ...bool("rstrip"), ...bool("single_word"), ...bool("normalized") },
        Number(id),
      );
    }
  }
  for (const [token, id] of Object.entries(addedTokens)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0)
      throw invalid(`added_tokens.json: ${JSON.stringify(token)} has id ${JSON.stringify(id)}`);
    addToken(token, false, {}, id as number);
  }
  const stripAccents = flag("strip_accents", null);
  const idOf = (t: string) => vocab[t]!;
  const tokenizerJson: Record<string, unknown> = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...added.values()].sort((a, b) => (a.id as number) - (b.id as number)),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: flag("tokenize_chinese_chars", true),
      strip_accents: stripAccents,
      lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special(specials.cls_token, 0), sequence("A", 0), special(specials.sep_token, 0)],
      pair: [
        special(specials.cls_token, 0),
        sequence("A", 0),
        special(specials.sep_token, 0),
        sequence("B", 1),
        special(specials.sep_token, 1),
      ],
      special_tokens: Object.fromEntries(
        [specials.cls_token, specials.sep_token].map((t) => [t, { id: t, ids: [idOf(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: specials.unk_token,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  return { tokenizerJson, config: { ...config, do_lower_case: lowercase, pad_token: specials.pad_token } };
}

function special(id: string, typeId: number): Record<string, unknown> {
  return { SpecialToken: { id, type_id: typeId } };
}

function sequence(id: "A" | "B", typeId: number): Record<string, unknown> {
  return { Sequence: { id, type_id: typeId } };
}
