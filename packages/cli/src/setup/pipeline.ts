import { stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type Dataset,
  loadTokenizer,
  type Tokenizer,
  type TrainerData,
  tokenizeDataset,
} from "@tunekit/core";
import type { PaddingStrategy } from "@tunekit/core/data";

/**
 * Padding buckets for `maxLength`: powers of two from 16 below it, then `maxLength`, so only
 * a handful of batch shapes (and compiled graphs) ever appear.
 *
 * @example
 * ```ts
 * paddingBuckets(128); // { buckets: [16, 32, 64, 128] }
 * ```
 */
export function paddingBuckets(maxLength: number): PaddingStrategy {
  const buckets: number[] = [];
  for (let b = 16; b < maxLength; b *= 2) buckets.push(b);
  buckets.push(maxLength);
  return { buckets };
}

/**
 * Tokenises a split for the Trainer (truncated to `maxLength`, special tokens included).
 *
 * @example
 * ```ts
 * const train = tokenizeSplit(splits.train!, tokenizer, 128);
 * ```
 */
export function tokenizeSplit(ds: Dataset, tokenizer: Tokenizer, maxLength: number): TrainerData {
  return tokenizeDataset(ds, tokenizer, { maxLength, truncation: "longest_first" });
}

/**
 * The tokenizer of a trained model folder when it has one (`tokenizer.json`, or a WordPiece
 * `vocab.txt`; `tunekit train` copies it there), else the config's.
 *
 * @example
 * ```ts
 * const tok = await tokenizerFor("runs/x/model", config.tokenizer);
 * ```
 */
export async function tokenizerFor(modelDir: string, fallback: string): Promise<Tokenizer> {
  for (const file of ["tokenizer.json", "vocab.txt"]) {
    if ((await stat(join(modelDir, file)).catch(() => undefined)) !== undefined)
      return loadTokenizer(modelDir);
  }
  return loadTokenizer(fallback);
}
