import { TunekitError } from "../errors.js";
import type { PaddingSide } from "./generation-batch.js";
import { checkSamplingOptions, type SamplingOptions } from "./sampling.js";

/**
 * Turns generated ids back into text, for stop strings and the `text` of each result (a core
 * `Tokenizer` is one).
 *
 * @example
 * ```ts
 * const decoder: TokenDecoder = await loadTokenizer("models/tiny");
 * ```
 */
export interface TokenDecoder {
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

/**
 * Options of `generate`. Sampling (see {@link SamplingOptions}): greedy by default. A row stops
 * after `maxNewTokens` (default 32), at a token of `stopTokenIds` (default: the model's
 * `eos_token_id`s; `[]` for none) or when its decoded text contains one of `stopStrings`
 * (needs `tokenizer`). `paddingSide` (default `"left"`) lays out prompts of different lengths.
 * `kvCache` (default true) decodes over a static key/value cache (one prefill graph per
 * prompt-length bucket, one decode graph); false recomputes the whole sequence each step.
 * Lengths are rounded up to multiples of `lengthBucket` (default 16) so few graphs are compiled.
 * `onToken(row, id)` is called with each new token as soon as it is chosen (streaming).
 *
 * @example
 * ```ts
 * const opts: GenerateOptions = { maxNewTokens: 20, temperature: 0.7, topP: 0.9, seed: 1, stopStrings: ["\n"], tokenizer };
 * ```
 */
export interface GenerateOptions extends SamplingOptions {
  readonly maxNewTokens?: number;
  readonly seed?: number;
  readonly stopTokenIds?: readonly number[];
  readonly stopStrings?: readonly string[];
  readonly tokenizer?: TokenDecoder;
  readonly paddingSide?: PaddingSide;
  readonly padTokenId?: number;
  readonly kvCache?: boolean;
  readonly lengthBucket?: number;
  readonly onToken?: (row: number, id: number) => void;
}

/**
 * {@link GenerateOptions} with every default filled in and checked.
 *
 * @example
 * ```ts
 * const o = resolveGenerateOptions({ maxNewTokens: 8 }, { eosTokenIds: [2], vocabSize: 96 });
 * ```
 */
export interface ResolvedGenerateOptions {
  readonly sampling: SamplingOptions;
  readonly maxNewTokens: number;
  readonly seed: number;
  readonly stopTokenIds: ReadonlySet<number>;
  readonly stopStrings: readonly string[];
  readonly tokenizer: TokenDecoder | undefined;
  readonly paddingSide: PaddingSide;
  readonly padTokenId: number;
  readonly kvCache: boolean;
  readonly lengthBucket: number;
  readonly onToken: ((row: number, id: number) => void) | undefined;
}

const bad = (message: string): TunekitError => new TunekitError("INVALID_ARGUMENT", `generate: ${message}`);

/**
 * Fills in and checks `generate`'s options; every error is `INVALID_ARGUMENT` naming the option,
 * the value received and what is allowed.
 *
 * @example
 * ```ts
 * const o = resolveGenerateOptions({ temperature: 0.8, seed: 3 }, model.generationSpec);
 * ```
 */
export function resolveGenerateOptions(
  options: GenerateOptions,
  spec: { readonly eosTokenIds: readonly number[]; readonly vocabSize: number; readonly padTokenId?: number },
): ResolvedGenerateOptions {
  checkSamplingOptions(options);
  const maxNewTokens = options.maxNewTokens ?? 32;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 1_000_000) {
    throw bad(`maxNewTokens must be an integer from 1 to 1000000, got ${String(options.maxNewTokens)}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed))
    throw bad(`seed must be an integer, got ${String(options.seed)}; pass e.g. 42`);
  const isId = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < spec.vocabSize;
  const stopTokenIds = options.stopTokenIds ?? spec.eosTokenIds;
  const badStop = stopTokenIds.find((id) => !isId(id));
  if (badStop !== undefined) {
    throw bad(`stopTokenIds must be token ids in [0, ${spec.vocabSize}), got ${String(badStop)}`);
  }
  const stopStrings = options.stopStrings ?? [];
  if (stopStrings.some((s) => typeof s !== "string" || s.length === 0)) {
    throw bad(`stopStrings must be non-empty strings, got ${JSON.stringify(stopStrings)}`);
  }
  if (stopStrings.length > 0 && options.tokenizer === undefined) {
    throw bad("stopStrings need a tokenizer to decode the generated ids; pass options.tokenizer");
  }
  const paddingSide = options.paddingSide ?? "left";
  if (paddingSide !== "left" && paddingSide !== "right") {
    throw bad(`paddingSide must be "left" or "right", got ${JSON.stringify(paddingSide)}`);
  }
  const padTokenId = options.padTokenId ?? spec.padTokenId ?? 0;
  if (!isId(padTokenId))
    throw bad(`padTokenId must be a token id in [0, ${spec.vocabSize}), got ${String(padTokenId)}`);
  const lengthBucket = options.lengthBucket ?? 16;
  if (!Number.isInteger(lengthBucket) || lengthBucket < 1) {
    throw bad(`lengthBucket must be a positive integer, got ${String(options.lengthBucket)}`);
  }
  return {
    sampling: {
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.topK === undefined ? {} : { topK: options.topK }),
      ...(options.topP === undefined ? {} : { topP: options.topP }),
    },
    maxNewTokens,
    seed,
    stopTokenIds: new Set(stopTokenIds),
    stopStrings,
    tokenizer: options.tokenizer,
    paddingSide,
    padTokenId,
    kvCache: options.kvCache ?? true,
    lengthBucket,
    onToken: options.onToken,
  };
}
