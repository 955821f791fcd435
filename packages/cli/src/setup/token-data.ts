import { isAbsolute, resolve } from "node:path";
import { type Tokenizer, type TrainerData, TunekitError } from "@tunekit/core";
import { parseConll, readTextFile } from "@tunekit/core/data";

/**
 * A token classification data set (e.g. NER): JSON Lines files with one pre-split sentence a
 * line, `{"tokens": ["EU", "rejects", ...], "tags": ["B-ORG", "O", ...]}`, or CoNLL / IOB files
 * (one word a line, its tag last, blank lines and `-DOCSTART-` between sentences), told apart
 * by their first line.
 *
 * @example
 * ```ts
 * const spec: TokenDataSpec = { splits: { train: "ner/train.jsonl", validation: "ner/dev.jsonl" }, tokensKey: "tokens", tagsKey: "tags" };
 * ```
 */
export interface TokenDataSpec {
  readonly name?: string;
  readonly splits: { readonly train?: string; readonly validation?: string; readonly test?: string };
  readonly tokensKey: string;
  readonly tagsKey: string;
  /** Tag names in id order (default: every tag seen, sorted). */
  readonly labels?: readonly string[];
}

/**
 * One split: the words of each row and their tags (`undefined` when the file has none).
 *
 * @example
 * ```ts
 * split.words[0]; // ["EU", "rejects", "German", "call"]
 * ```
 */
export interface TokenSplit {
  readonly words: readonly (readonly string[])[];
  readonly tags: readonly (readonly string[])[] | undefined;
}

/**
 * A loaded token classification data set.
 *
 * @example
 * ```ts
 * const { labelNames, splits } = await loadTokenData(spec, "/data");
 * ```
 */
export interface TokenData {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly splits: {
    readonly train?: TokenSplit;
    readonly validation?: TokenSplit;
    readonly test?: TokenSplit;
  };
}

/**
 * A tokenised token-classification split: Trainer data with `tokenLabels` (the tag of each
 * word on its first word piece, -100 elsewhere) and the position of each word's first piece.
 *
 * @example
 * ```ts
 * const data = tokenizeWords(split, labelNames, tokenizer, 64);
 * data.wordStarts[0]; // Int32Array [1, 2, 4, ...] (0 is [CLS])
 * ```
 */
export type TokenTrainerData = TrainerData & {
  readonly tokenLabels: readonly Int32Array[];
  readonly wordStarts: readonly Int32Array[];
};

/**
 * Reads the JSONL or CoNLL files of a {@link TokenDataSpec} (relative paths against `baseDir`),
 * keeping the first `maxRows[split]` rows. Every problem names the file and line.
 *
 * @example
 * ```ts
 * const data = await loadTokenData(spec, "/repo/examples", { train: 1000 });
 * ```
 */
export async function loadTokenData(
  spec: TokenDataSpec,
  baseDir: string,
  maxRows: { readonly train?: number; readonly validation?: number; readonly test?: number } = {},
): Promise<TokenData> {
  const splits: { train?: TokenSplit; validation?: TokenSplit; test?: TokenSplit } = {};
  for (const name of ["train", "validation", "test"] as const) {
    const file = spec.splits[name];
    if (file === undefined) continue;
    splits[name] = await readSplit(isAbsolute(file) ? file : resolve(baseDir, file), spec, maxRows[name]);
  }
  let labelNames = spec.labels;
  if (labelNames === undefined) {
    const seen = new Set<string>();
    for (const s of Object.values(splits)) for (const row of s?.tags ?? []) for (const t of row) seen.add(t);
    labelNames = [...seen].sort();
  }
  const known = new Set(labelNames);
  for (const [name, s] of Object.entries(splits)) {
    s.tags?.forEach((row, i) => {
      for (const t of row) {
        if (!known.has(t)) {
          throw new TunekitError(
            "DATA_INVALID",
            `${spec.splits[name as "train"]}: row ${i + 1} has tag ${JSON.stringify(t)}, which is not one of the labels [${labelNames.join(", ")}]; add it to data.tokens.labels or fix the row`,
          );
        }
      }
    });
  }
  return { name: spec.name ?? "tokens", labelNames, splits };
}

async function readSplit(path: string, spec: TokenDataSpec, limit: number | undefined): Promise<TokenSplit> {
  const text = await readTextFile(path, "utf-8");
  if (!/^\uFEFF?\s*[{[]/.test(text)) return readConllSplit(text, path, limit);
  const words: string[][] = [];
  const tags: string[][] = [];
  let tagged: boolean | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length && (limit === undefined || words.length < limit); i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const where = `${path}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new TunekitError("DATA_INVALID", `${where}: not valid JSON (${(e as Error).message})`);
    }
    const r = row as Record<string, unknown>;
    const w = r?.[spec.tokensKey];
    if (!Array.isArray(w) || w.length === 0 || !w.every((x) => typeof x === "string")) {
      throw new TunekitError(
        "DATA_INVALID",
        `${where}: "${spec.tokensKey}" must be a non-empty list of strings`,
      );
    }
    const t = r[spec.tagsKey];
    if (tagged === undefined) tagged = t !== undefined;
    if ((t !== undefined) !== tagged) {
      throw new TunekitError(
        "DATA_INVALID",
        `${where}: some rows have "${spec.tagsKey}" and some do not; tag every row or none`,
      );
    }
    if (t !== undefined) {
      if (!Array.isArray(t) || t.length !== w.length) {
        throw new TunekitError(
          "DATA_INVALID",
          `${where}: "${spec.tagsKey}" must be a list as long as "${spec.tokensKey}" (${w.length}), got ${Array.isArray(t) ? t.length : typeof t}`,
        );
      }
      tags.push(t.map(String));
    }
    words.push(w as string[]);
  }
  if (words.length === 0) throw new TunekitError("DATA_INVALID", `${path}: no rows`);
  return { words, tags: tagged ? tags : undefined };
}

// A CoNLL / IOB file (a first line that is not JSON): the word first, the tag last.
function readConllSplit(text: string, path: string, limit: number | undefined): TokenSplit {
  const sentences = parseConll(text, path);
  const kept = limit === undefined ? sentences : sentences.slice(0, limit);
  const tagged = kept[0]?.tags !== undefined;
  return {
    words: kept.map((s) => s.tokens),
    tags: tagged ? kept.map((s) => s.tags!) : undefined,
  };
}

/**
 * Tokenises pre-split words: each word into word pieces, wrapped in the tokenizer's special
 * tokens, truncated to `maxLength`. A word's tag goes on its first piece; other pieces and
 * special tokens get -100 (ignored by the loss and the metrics). Rows without tags get -100
 * everywhere (prediction only).
 *
 * @example
 * ```ts
 * const train = tokenizeWords(splits.train!, labelNames, tokenizer, 128);
 * ```
 */
export function tokenizeWords(
  split: TokenSplit,
  labelNames: readonly string[],
  tokenizer: Tokenizer,
  maxLength: number,
): TokenTrainerData {
  const { prefix, suffix } = specialLayout(tokenizer);
  const room = maxLength - prefix.length - suffix.length;
  if (room < 1) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `training.maxLength ${maxLength} leaves no room for tokens besides the special tokens`,
    );
  }
  const idOf = new Map(labelNames.map((l, i) => [l, i]));
  const ids: Int32Array[] = [];
  const types: Int32Array[] = [];
  const tokenLabels: Int32Array[] = [];
  const wordStarts: Int32Array[] = [];
  const lengths = new Int32Array(split.words.length);
  let numTruncated = 0;
  split.words.forEach((words, row) => {
    const pieces: number[] = [];
    const labels: number[] = [];
    const starts: number[] = [];
    let truncated = false;
    for (let w = 0; w < words.length; w++) {
      const p = tokenizer.tokenize(words[w]!);
      const piecesOf = p.length > 0 ? p : [];
      if (pieces.length + piecesOf.length > room) {
        truncated = true;
        break;
      }
      if (piecesOf.length === 0) {
        starts.push(-1); // a word the tokenizer drops (e.g. a control character): no prediction
        continue;
      }
      starts.push(prefix.length + pieces.length);
      const tag = split.tags?.[row]?.[w];
      piecesOf.forEach((id, k) => {
        pieces.push(id);
        labels.push(k === 0 && tag !== undefined ? idOf.get(tag)! : -100);
      });
    }
    if (truncated) numTruncated++;
    const all = [...prefix, ...pieces, ...suffix];
    ids.push(Int32Array.from(all));
    types.push(new Int32Array(all.length));
    tokenLabels.push(Int32Array.from([...prefix.map(() => -100), ...labels, ...suffix.map(() => -100)]));
    wordStarts.push(Int32Array.from(starts));
    lengths[row] = all.length;
  });
  return {
    task: "classification",
    ids,
    tokenTypeIds: types,
    lengths,
    labels: undefined,
    padId: tokenizer.padId,
    maxLength,
    numTruncated,
    tokenLabels,
    wordStarts,
  };
}

/** The special tokens before and after a single text (e.g. `[CLS]` / `[SEP]`), found by probing. */
function specialLayout(tokenizer: Tokenizer): { prefix: number[]; suffix: number[] } {
  const probe = "a";
  const pieces = tokenizer.tokenize(probe);
  const full = tokenizer.encode(probe).ids;
  for (let i = 0; i + pieces.length <= full.length; i++) {
    if (pieces.every((p, k) => full[i + k] === p))
      return { prefix: full.slice(0, i), suffix: full.slice(i + pieces.length) };
  }
  return { prefix: [], suffix: [] };
}
