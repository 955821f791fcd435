import type { Backend } from "../backend/backend.js";
import { mixSeeds, mulberry32, type Rng } from "../data/random.js";
import { TunekitError } from "../errors.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import {
  type GenerateOptions,
  type ResolvedGenerateOptions,
  resolveGenerateOptions,
} from "./generate-options.js";
import { GenerationBatch } from "./generation-batch.js";
import { type GenerativeModel, GenerationGraphs, type KvCacheLayerValues } from "./generation-graphs.js";
import { sampleToken } from "./sampling.js";

/**
 * Why a row stopped: it produced a stop token (kept as its last token), its text reached a
 * stop string, or it produced `maxNewTokens` tokens.
 *
 * @example
 * ```ts
 * if (result.finishReason === "length") console.log("cut at maxNewTokens");
 * ```
 */
export type FinishReason = "stop-token" | "stop-string" | "length";

/**
 * One prompt's continuation: the new token ids (a stop token included), the decoded text
 * when a tokenizer was given (without the stop token, cut before a stop string) and why it
 * stopped.
 *
 * @example
 * ```ts
 * const [{ tokens, text, finishReason }] = (await generate(model, backend, [ids], { tokenizer })).sequences;
 * ```
 */
export interface GeneratedSequence {
  readonly tokens: number[];
  readonly text?: string;
  readonly finishReason: FinishReason;
}

/**
 * What `generate` returns: one {@link GeneratedSequence} per prompt, in order, and the shape
 * signatures of the graphs it compiled (e.g. `prefill:2:16:32`, `decode:2:32`).
 *
 * @example
 * ```ts
 * const { sequences, compiledGraphs } = await generate(model, backend, prompts);
 * ```
 */
export interface GenerateResult {
  readonly sequences: GeneratedSequence[];
  readonly compiledGraphs: string[];
}

interface RowState {
  readonly tokens: number[];
  readonly rng: Rng;
  finish?: FinishReason;
  text?: string;
}

const roundUp = (n: number, bucket: number): number => Math.ceil(n / bucket) * bucket;

/**
 * Generates a continuation of each prompt (token ids) with a causal LM on any backend:
 * greedy, or temperature / top-k / top-p sampling seeded per row (`mixSeeds(seed, row)` into
 * `mulberry32`, so a row's tokens depend on its prompt, its index and the seed, not on the
 * other rows), stopping at stop
 * token ids (default the model's EOS), stop strings (with `options.tokenizer`) or
 * `maxNewTokens`. Prompts of different lengths are padded (left by default) with an attention
 * mask and position ids that count each row's real tokens, so a padded row gives the same
 * tokens as the prompt alone. By default a static key/value cache is used: one prefill graph
 * per prompt-length bucket and one decode graph of fixed capacity (prompt + new tokens,
 * rounded up to `lengthBucket`); `kvCache: false` recomputes the whole sequence every step
 * with one graph. The model runs in eval mode with its current parameter values.
 *
 * @example
 * ```ts
 * const { model } = await loadLlamaCheckpoint("models/tiny");
 * const { sequences } = await generate(model, createReferenceBackend(), [[1, 17, 42]], { maxNewTokens: 8 });
 * console.log(sequences[0].tokens);
 * ```
 */
export async function generate(
  model: GenerativeModel,
  backend: Backend,
  promptIds: readonly (readonly number[])[],
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const spec = model.generationSpec;
  const o = resolveGenerateOptions(options, spec);
  checkPrompts(promptIds, spec.vocabSize);
  const longest = Math.max(...promptIds.map((p) => p.length));
  const capacity = roundUp(longest + o.maxNewTokens, o.lengthBucket);
  const batch = new GenerationBatch(promptIds, {
    promptLength: longest,
    capacity,
    padTokenId: o.padTokenId,
    paddingSide: o.paddingSide,
  });
  const rows: RowState[] = promptIds.map((_, b) => ({ tokens: [], rng: mulberry32(mixSeeds(o.seed, b)) }));
  const graphs = new GenerationGraphs(model, backend);
  let compiledGraphs: string[] = [];
  try {
    let cache: KvCacheLayerValues[] = [];
    for (let step = 0; step < o.maxNewTokens; step++) {
      let logits: HostTensor;
      if (!o.kvCache) {
        ({ logits } = await graphs.sequence(batch.sequenceFeeds(capacity)));
      } else if (step === 0) {
        const prefillLength = Math.min(roundUp(longest, o.lengthBucket), capacity);
        ({ logits, cache } = await graphs.sequence(batch.sequenceFeeds(prefillLength), capacity));
      } else {
        ({ logits, cache } = await graphs.decode(batch.decodeFeeds(spec.slidingWindow), cache));
      }
      const next = pickTokens(logits, rows, o, batch.padId);
      if (rows.every((r) => r.finish !== undefined) || step + 1 === o.maxNewTokens) break;
      batch.append(next);
    }
    compiledGraphs = graphs.compiledSignatures;
  } finally {
    await graphs.dispose();
  }
  return { sequences: rows.map((r) => finishRow(r, o)), compiledGraphs };
}

function pickTokens(
  logits: HostTensor,
  rows: RowState[],
  o: ResolvedGenerateOptions,
  padId: number,
): number[] {
  const v = logits.shape[1]!;
  return rows.map((row, b) => {
    if (row.finish !== undefined) return padId;
    const id = sampleToken(logits.data.subarray(b * v, (b + 1) * v) as Float32Array, o.sampling, row.rng);
    row.tokens.push(id);
    o.onToken?.(b, id);
    if (o.stopTokenIds.has(id)) {
      row.finish = "stop-token";
    } else if (o.stopStrings.length > 0) {
      const text = o.tokenizer!.decode(row.tokens);
      const cut = firstStop(text, o.stopStrings);
      if (cut >= 0) {
        row.finish = "stop-string";
        row.text = text.slice(0, cut);
      }
    }
    return id;
  });
}

function firstStop(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

function finishRow(row: RowState, o: ResolvedGenerateOptions): GeneratedSequence {
  const finishReason = row.finish ?? "length";
  if (o.tokenizer === undefined) return { tokens: row.tokens, finishReason };
  const textIds = finishReason === "stop-token" ? row.tokens.slice(0, -1) : row.tokens;
  return { tokens: row.tokens, text: row.text ?? o.tokenizer.decode(textIds), finishReason };
}

function checkPrompts(prompts: readonly (readonly number[])[], vocabSize: number): void {
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "generate: promptIds must be a non-empty array of prompts, each an array of token ids (e.g. [[1, 17, 42]])",
    );
  }
  prompts.forEach((p, b) => {
    if (!Array.isArray(p) || p.length === 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `generate: prompt ${b} must be a non-empty array of token ids`,
      );
    }
    const bad = p.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad !== undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `generate: prompt ${b} holds ${String(bad)}, not a token id in [0, ${vocabSize}) of this model's vocabulary`,
      );
    }
  });
}
