// The pre-training corpus of scripts/pretrain-mlm.ts: the unlabelled text of the local data
// sets, as documents of one text or a text pair, and the segment pairs of next-sentence
// prediction built from them.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDataset } from "@tunekit/core";
import type { Rng } from "@tunekit/core/data";

/** One corpus entry: a text, or a text pair of a pair data set (RTE, MRPC, STS-B, QNLI). */
export interface CorpusDoc {
  readonly text: string;
  readonly pair?: string;
}

/** Segment A and the segment B that follows it, as word-piece ids (no special tokens). */
export interface SegmentPair {
  readonly a: readonly number[];
  readonly b: readonly number[];
}

const SETS: readonly [string, readonly ("train" | "validation" | "test")[]][] = [
  ["sst2", ["train"]],
  ["sst5", ["train"]],
  ["tweeteval-sentiment", ["validation", "test"]],
  ["rte", ["train"]],
  ["mrpc", ["train"]],
  ["stsb", ["train"]],
  ["cola", ["train"]],
  ["qnli", ["validation"]],
  ["cr", ["train"]],
  ["mpqa", ["train"]],
];

const normalise = (t: string): string =>
  t
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();

/**
 * Reads the corpus: the train splits of every local data set except MR and SUBJ (movie-review
 * snippets from the same source as SST-2's dev/test sentences), TweetEval's validation/test text
 * and QNLI's dev text (no train split), minus any text equal to an SST-2 dev or test sentence
 * after normalisation (a pair loses only that side).
 */
export async function readPretrainingCorpus(
  root: string,
): Promise<{ docs: CorpusDoc[]; perSet: string[]; dropped: number }> {
  const readConfig = async (name: string): Promise<unknown> =>
    JSON.parse(await readFile(join(root, "examples/data", `${name}.json`), "utf8"));
  const sst2 = await loadDataset(await readConfig("sst2"), { baseDir: root });
  const heldOut = new Set([...(sst2.validation?.texts ?? []), ...(sst2.test?.texts ?? [])].map(normalise));
  const docs: CorpusDoc[] = [];
  const perSet: string[] = [];
  let dropped = 0;
  const keep = (text: string | undefined): string | undefined => {
    if (text === undefined || text.trim() === "") return undefined;
    if (heldOut.has(normalise(text))) {
      dropped++;
      return undefined;
    }
    return text;
  };
  for (const [name, splits] of SETS) {
    const ds = await loadDataset(await readConfig(name), { baseDir: root });
    let n = 0;
    for (const split of splits) {
      const d = ds[split];
      if (!d) throw new Error(`${name} has no ${split} split`);
      for (const [i, t] of d.texts.entries()) {
        const text = keep(t);
        const pair = keep(d.textPairs?.[i]);
        if (text !== undefined && pair !== undefined) docs.push({ text, pair });
        else if (text !== undefined || pair !== undefined) docs.push({ text: (text ?? pair)! });
        n += (text === undefined ? 0 : 1) + (pair === undefined ? 0 : 1);
      }
    }
    perSet.push(`${name} ${n}`);
  }
  return { docs, perSet, dropped };
}

/**
 * Next-sentence-prediction segments: a pair document gives (text, pair); a single text of at
 * least 4 word pieces is cut at a random point (each side ≥ 2 pieces) into (start, rest).
 * Shorter single texts give none.
 */
export function segmentPairs(
  docs: readonly CorpusDoc[],
  tokenize: (text: string) => number[],
  rng: Rng,
): SegmentPair[] {
  const pairs: SegmentPair[] = [];
  for (const doc of docs) {
    if (doc.pair !== undefined) {
      pairs.push({ a: tokenize(doc.text), b: tokenize(doc.pair) });
      continue;
    }
    const ids = tokenize(doc.text);
    if (ids.length < 4) continue;
    const cut = 2 + Math.floor(rng() * (ids.length - 3));
    pairs.push({ a: ids.slice(0, cut), b: ids.slice(cut) });
  }
  return pairs;
}

/**
 * One next-sentence row: `[CLS] a [SEP] b [SEP]` with token types 0…0 1…1, where `b` is the
 * pair's own segment B (label 0) or, with probability 1/2, segment B of another pair (label 1).
 * The longer segment is cut from its end until the row fits `seq`.
 */
export function nextSentenceRow(
  pair: SegmentPair,
  pairs: readonly SegmentPair[],
  seq: number,
  ids: { cls: number; sep: number },
  rng: Rng,
): { row: Int32Array; types: Int32Array; label: 0 | 1 } {
  let b = pair.b;
  let label: 0 | 1 = 0;
  if (pairs.length > 1 && rng() < 0.5) {
    let other = pair;
    while (other === pair) other = pairs[Math.floor(rng() * pairs.length)]!;
    b = other.b;
    label = 1;
  }
  const room = seq - 3;
  let na = pair.a.length;
  let nb = b.length;
  while (na + nb > room) {
    if (na > nb) na--;
    else nb--;
  }
  const row = Int32Array.from([ids.cls, ...pair.a.slice(0, na), ids.sep, ...b.slice(0, nb), ids.sep]);
  const types = new Int32Array(row.length);
  types.fill(1, na + 2);
  return { row, types, label };
}
