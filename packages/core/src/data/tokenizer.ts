import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { TunekitError } from "../errors.js";
import { checkTokenizerRegexes } from "./regex-safety.js";
import { checkTokenizerModel } from "./tokenizer-model-check.js";
import { type PaddedBatch, type PaddingStrategy, padBatch, paddedLength } from "./padding.js";
import { type SpecialTemplate, templateFromPostProcessor } from "./special-template.js";
import { readTokenizerSources } from "./tokenizer-sources.js";
import { type TruncationStrategy, truncateLengths } from "./truncation.js";

/**
 * Options for {@link Tokenizer.encode}.
 *
 * @example
 * ```ts
 * const opts: EncodeOptions = { maxLength: 128, truncation: "longest_first" };
 * ```
 */
export interface EncodeOptions {
  /** Total length including special tokens. Default: the tokenizer's `modelMaxLength`, else unlimited. */
  readonly maxLength?: number;
  /** Default `longest_first`. */
  readonly truncation?: TruncationStrategy;
}

/**
 * Options for {@link Tokenizer.encodeBatch}.
 *
 * @example
 * ```ts
 * const opts: EncodeBatchOptions = { maxLength: 128, padding: { buckets: [32, 64, 128] } };
 * ```
 */
export interface EncodeBatchOptions extends EncodeOptions {
  /** Default `longest`. */
  readonly padding?: PaddingStrategy;
}

/**
 * One encoded text (or pair): ids with special tokens, token type ids, and whether it was truncated.
 *
 * @example
 * ```ts
 * const e: Encoding = tokenizer.encode("hello world"); // ids [101, 7592, 2088, 102]
 * ```
 */
export interface Encoding {
  readonly ids: number[];
  readonly tokenTypeIds: number[];
  readonly truncated: boolean;
}

/**
 * A batch from {@link Tokenizer.encodeBatch}: padded `int32 [B, S]` tensors plus how many
 * rows were truncated.
 *
 * @example
 * ```ts
 * const { inputIds, attentionMask, tokenTypeIds, lengths } = tokenizer.encodeBatch(["a", "b c"]);
 * ```
 */
export interface EncodedBatch extends PaddedBatch {
  readonly numTruncated: number;
}

/** A text, or a `[first, second]` pair of texts. @example `tokenizer.encodeBatch(["a text", ["a premise", "a hypothesis"]])` */
export type TextInput = string | readonly [string, string];

/**
 * A text tokenizer built on `@huggingface/tokenizers` (pure JS). Splitting into word pieces is
 * the library's; special-token templates, truncation and padding are tunekit's, so they behave
 * the same for every backend.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("../shared/tokenizers/bert-base-uncased");
 * tok.encode("hello world").ids; // [101, 7592, 2088, 102]
 * ```
 */
export class Tokenizer {
  /** Id used for right padding. */
  readonly padId: number;
  /** `model_max_length` from tokenizer_config.json when it is a real limit, else `undefined`. */
  readonly modelMaxLength: number | undefined;
  /** `do_lower_case` from tokenizer_config.json when present. */
  readonly doLowerCase: boolean | undefined;
  /**
   * Number of ids the tokenizer can produce, added tokens included: one more than its largest
   * id (the number of vocabulary entries when ids are dense, as in Hugging Face files).
   */
  readonly vocabSize: number;
  readonly #hf: HfTokenizer;
  readonly #template: SpecialTemplate;

  /** Use {@link loadTokenizer} or {@link tokenizerFromJson}. */
  constructor(
    hf: HfTokenizer,
    template: SpecialTemplate,
    info: { padId: number; modelMaxLength: number | undefined; doLowerCase: boolean | undefined },
  ) {
    this.#hf = hf;
    this.#template = template;
    this.padId = info.padId;
    this.modelMaxLength = info.modelMaxLength;
    this.doLowerCase = info.doLowerCase;
    // One more than the largest id: a vocabulary with a repeated token (vocab.txt keeps its
    // last line number, as transformers does) or sparse ids needs that many embedding rows.
    let largest = -1;
    for (const id of hf.get_vocab(true).values()) if (id > largest) largest = id;
    this.vocabSize = largest + 1;
  }

  /**
   * Word-piece ids of `text`, without special tokens and without truncation.
   *
   * @example
   * ```ts
   * tok.tokenize("hello world"); // [7592, 2088]
   * ```
   */
  tokenize(text: string): number[] {
    if (typeof text !== "string") {
      throw new TunekitError("INVALID_ARGUMENT", `tokenize: expected a string, got ${typeof text}`);
    }
    const ids = this.#library("tokenize", () => this.#hf.encode(text, { add_special_tokens: false }).ids);
    const bad = ids.findIndex((id: unknown) => !Number.isInteger(id));
    if (bad >= 0) {
      // e.g. a word that needs the unknown token when `unk_token` is not in the vocabulary
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `tokenize: the tokenizer gave no id (${String(ids[bad])}) for token ${bad} of ${JSON.stringify(text.slice(0, 80))}; ` +
          "check that tokenizer.json's model.unk_token is in its vocabulary",
      );
    }
    return ids;
  }

  /**
   * Number of special tokens the template adds for a single text or a pair.
   *
   * @example
   * ```ts
   * tok.numSpecialTokens(false); // 2 for BERT ([CLS] a [SEP])
   * ```
   */
  numSpecialTokens(pair: boolean): number {
    return this.#template.count(pair);
  }

  /**
   * Truncates already tokenised segments and adds special tokens (e.g. `[CLS] a [SEP] b [SEP]`).
   *
   * @example
   * ```ts
   * tok.assemble([7592], [2088]).ids; // [101, 7592, 102, 2088, 102]
   * ```
   */
  assemble(first: ArrayLike<number>, second?: ArrayLike<number>, options: EncodeOptions = {}): Encoding {
    const maxLength = this.#maxLength(options);
    const pair = second !== undefined;
    const kept = truncateLengths(
      first.length,
      second?.length,
      maxLength - this.#template.count(pair),
      options.truncation ?? "longest_first",
    );
    return { ...this.#template.apply(first, kept.first, second, kept.second), truncated: kept.truncated };
  }

  /**
   * Encodes a text or a pair with special tokens and truncation.
   *
   * @example
   * ```ts
   * tok.encode("hello", "world").tokenTypeIds; // [0, 0, 0, 1, 1]
   * ```
   */
  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const a = this.tokenize(text);
    const b = pair === undefined ? undefined : this.tokenize(pair);
    return this.assemble(a, b, options);
  }

  /**
   * Encodes texts or `[a, b]` pairs into right-padded `int32 [B, S]` tensors.
   *
   * @example
   * ```ts
   * const batch = tok.encodeBatch([["a man", "a person"]], { maxLength: 16, padding: "max_length" });
   * batch.inputIds.shape; // [1, 16]
   * ```
   */
  encodeBatch(inputs: readonly TextInput[], options: EncodeBatchOptions = {}): EncodedBatch {
    if (!Array.isArray(inputs)) {
      throw new TunekitError("INVALID_ARGUMENT", "encodeBatch: expected an array of texts or [a, b] pairs");
    }
    const rows: Encoding[] = inputs.map((input, i) => {
      if (typeof input === "string") return this.encode(input, undefined, options);
      if (Array.isArray(input) && input.length === 2) return this.encode(input[0], input[1], options);
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `encodeBatch: input ${i} is neither a string nor a [first, second] pair of strings`,
      );
    });
    return this.collate(rows, options);
  }

  /**
   * Pads already encoded rows into a batch according to `options.padding`.
   *
   * @example
   * ```ts
   * tok.collate([tok.encode("hi")], { padding: { buckets: [8, 16] } }).inputIds.shape; // [1, 8]
   * ```
   */
  collate(rows: readonly Encoding[], options: EncodeBatchOptions = {}): EncodedBatch {
    let longest = 0;
    let numTruncated = 0;
    for (const r of rows) {
      longest = Math.max(longest, r.ids.length);
      if (r.truncated) numTruncated++;
    }
    const padTo = paddedLength(longest, options.padding ?? "longest", this.#maxLength(options));
    return { ...padBatch(rows, padTo, this.padId), numTruncated };
  }

  /**
   * Id of a token string, or `undefined` if it is not in the vocabulary.
   *
   * @example
   * ```ts
   * tok.tokenToId("[CLS]"); // 101
   * ```
   */
  tokenToId(token: string): number | undefined {
    return this.#library("tokenToId", () => this.#hf.token_to_id(token));
  }

  /**
   * Decodes ids back to text.
   *
   * @example
   * ```ts
   * tok.decode([101, 7592, 102], { skipSpecialTokens: true }); // "hello"
   * ```
   */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (!Array.isArray(ids)) {
      throw new TunekitError("INVALID_ARGUMENT", `decode: expected an array of token ids, got ${typeof ids}`);
    }
    const bad = ids.findIndex((id) => !Number.isSafeInteger(id));
    if (bad >= 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `decode: token ids must be integers, got ${String(ids[bad])} at index ${bad}`,
      );
    }
    if (ids.length === 0) return "";
    return this.#library("decode", () =>
      this.#hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false }),
    );
  }

  /**
   * Runs a call into `@huggingface/tokenizers`. A tokenizer.json that passed loading can
   * still hold a section the library only trips over later (e.g. a non-string `unk_token`
   * read by the decoder): that surfaces as `TOKENIZER_INVALID`, not a bare `TypeError`.
   */
  #library<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (e) {
      if (e instanceof TunekitError) throw e;
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `${what}: the tokenizer library failed (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}); ` +
          "the tokenizer.json is probably malformed: re-export it with Hugging Face tokenizers",
        { cause: e },
      );
    }
  }

  #maxLength(options: EncodeOptions): number {
    const m = options.maxLength ?? this.modelMaxLength ?? Number.POSITIVE_INFINITY;
    if (m !== Number.POSITIVE_INFINITY && (!Number.isInteger(m) || m <= 0)) {
      throw new TunekitError("INVALID_ARGUMENT", `maxLength must be a positive integer, got ${String(m)}`);
    }
    return m;
  }
}

/**
 * Builds a {@link Tokenizer} from the parsed contents of `tokenizer.json` and, optionally,
 * `tokenizer_config.json` (for `model_max_length`, `do_lower_case`, `pad_token`).
 *
 * @example
 * ```ts
 * const tok = tokenizerFromJson(JSON.parse(tokenizerJsonText), { do_lower_case: true });
 * ```
 */
export function tokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig: unknown = {},
  source = "tokenizer.json",
): Tokenizer {
  const invalid = (what: string, cause?: unknown): TunekitError =>
    new TunekitError(
      "TOKENIZER_INVALID",
      `${source}: ${what}; expected a Hugging Face tokenizer.json (an object with a "model" section)`,
      cause === undefined ? undefined : { cause },
    );
  if (!isRecord(tokenizerJson)) throw invalid(`top level is ${describe(tokenizerJson)}, not an object`);
  const model = tokenizerJson.model;
  if (
    !isRecord(model) ||
    (typeof model.type !== "string" && !isRecord(model.vocab) && !Array.isArray(model.vocab))
  ) {
    throw invalid('missing "model" section with a "type" or a "vocab"');
  }
  if (!isRecord(tokenizerConfig))
    throw invalid(`tokenizer_config is ${describe(tokenizerConfig)}, not an object`);
  const doLowerCase =
    typeof tokenizerConfig.do_lower_case === "boolean" ? tokenizerConfig.do_lower_case : undefined;
  let json: Record<string, unknown> = tokenizerJson;
  const normalizer = tokenizerJson.normalizer;
  if (doLowerCase !== undefined && isRecord(normalizer) && normalizer.type === "BertNormalizer") {
    // As transformers' BertTokenizerFast: tokenizer_config's do_lower_case wins over the normalizer.
    json = { ...tokenizerJson, normalizer: { ...normalizer, lowercase: doLowerCase } };
  }
  checkTokenizerRegexes(tokenizerJson, source); // before any text meets a catastrophic pattern
  checkTokenizerModel(tokenizerJson, source); // BPE / Unigram / WordPiece sections the library would misread
  let hf: HfTokenizer;
  let template: SpecialTemplate;
  try {
    hf = new HfTokenizer(json, tokenizerConfig);
    template = templateFromPostProcessor(tokenizerJson.post_processor, (t) => hf.token_to_id(t), source);
    // A probe with a character no vocabulary of this size is likely to hold, so a missing
    // unk_token shows here rather than as undefined ids in a training batch.
    const probe = hf.encode("tunekit probe \u{10fffd}", { add_special_tokens: false }).ids;
    if (!probe.every((id: unknown) => Number.isInteger(id))) {
      throw invalid("it gives no id for an unknown word: is model.unk_token in the vocabulary?");
    }
    const size = hf.get_vocab(true).size;
    const specials = [...template.apply([], 0, undefined, 0).ids, ...template.apply([], 0, [], 0).ids];
    const outside = specials.find((id) => !Number.isInteger(id) || id < 0 || id >= size);
    if (outside !== undefined) {
      throw invalid(`post_processor special token id ${outside} is outside the vocabulary [0, ${size})`);
    }
  } catch (e) {
    if (e instanceof TunekitError) throw e;
    throw invalid(`the tokenizer library rejected it (${e instanceof Error ? e.message : String(e)})`, e);
  }
  const maxLen = tokenizerConfig.model_max_length;
  const modelMaxLength =
    typeof maxLen === "number" && Number.isInteger(maxLen) && maxLen > 0 && maxLen <= 1_000_000
      ? maxLen
      : undefined;
  return new Tokenizer(hf, template, {
    padId: resolvePadId(tokenizerJson, tokenizerConfig, hf),
    modelMaxLength,
    doLowerCase,
  });
}

/**
 * Loads a tokenizer from a folder holding `tokenizer.json` (and optionally
 * `tokenizer_config.json`), or, when there is no `tokenizer.json`, a WordPiece `vocab.txt`
 * (+ `tokenizer_config.json` / `special_tokens_map.json`: `do_lower_case`, special tokens,
 * `model_max_length`), which encodes exactly as the `tokenizer.json` transformers derives
 * from it; or from the path of a `tokenizer.json` or `vocab.txt` itself.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("../shared/tokenizers/bert-base-uncased");
 * ```
 */
export async function loadTokenizer(folderOrFile: string): Promise<Tokenizer> {
  const { tokenizerJson, config, source } = await readTokenizerSources(folderOrFile);
  return tokenizerFromJson(tokenizerJson, config, source);
}

function resolvePadId(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  hf: HfTokenizer,
): number {
  const padding = json.padding;
  if (isRecord(padding) && typeof padding.pad_id === "number") return padding.pad_id;
  const padToken = config.pad_token;
  const name = typeof padToken === "string" ? padToken : isRecord(padToken) ? padToken.content : undefined;
  for (const candidate of [name, "[PAD]", "<pad>"]) {
    if (typeof candidate !== "string") continue;
    const id = hf.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  return 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}
