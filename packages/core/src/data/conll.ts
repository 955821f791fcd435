import { TunekitError } from "../errors.js";
import { type ReadLimits, splitLines } from "./table-reader.js";

/**
 * One sentence of a CoNLL file: its words, their tags (`undefined` in an untagged file) and
 * the 1-based line of its first word.
 *
 * @example
 * ```ts
 * const s: ConllSentence = { line: 3, tokens: ["EU", "rejects"], tags: ["B-ORG", "O"] };
 * ```
 */
export interface ConllSentence {
  readonly line: number;
  readonly tokens: readonly string[];
  readonly tags: readonly string[] | undefined;
}

/**
 * Limits of {@link parseConll} on top of the line limits: the longest sentence in words
 * (default 10,000) and the number of sentences (default 10,000,000).
 *
 * @example
 * ```ts
 * const limits: ConllLimits = { maxSentenceWords: 512 };
 * ```
 */
export interface ConllLimits extends ReadLimits {
  readonly maxSentenceWords?: number;
  readonly maxSentences?: number;
}

/**
 * Parses a CoNLL / IOB file (CoNLL-2003 NER, WNUT, …): one word a line, its columns separated
 * by spaces or tabs, the word first and the tag last (`EU NNP B-NP B-ORG`); blank lines and
 * `-DOCSTART-` lines end a sentence. A file whose lines all have one column is untagged (for
 * prediction). Lines with a different number of columns than the file's first word line, a
 * sentence longer than `maxSentenceWords`, and a file with no sentence throw `DATA_INVALID`
 * naming `file:line`.
 *
 * @example
 * ```ts
 * parseConll("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n", "train.txt");
 * // [{ line: 3, tokens: ["EU", "rejects"], tags: ["B-ORG", "O"] }]
 * ```
 */
export function parseConll(text: string, file: string, limits: ConllLimits = {}): ConllSentence[] {
  const maxWords = limits.maxSentenceWords ?? 10_000;
  const maxSentences = limits.maxSentences ?? 10_000_000;
  const sentences: ConllSentence[] = [];
  let columns: number | undefined;
  let columnsLine = 0;
  let tokens: string[] = [];
  let tags: string[] = [];
  let start = 0;
  const flush = (): void => {
    if (tokens.length === 0) return;
    if (sentences.length >= maxSentences) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${start}: more than ${maxSentences} sentences; raise maxSentences or split the file`,
      );
    }
    sentences.push({ line: start, tokens, tags: columns === 1 ? undefined : tags });
    tokens = [];
    tags = [];
  };
  for (const { line, text: raw } of splitLines(text.replace(/^\uFEFF/, ""), file, limits)) {
    const cells = raw.trim().split(/[ \t]+/);
    if (cells[0] === "" || cells[0] === "-DOCSTART-") {
      flush();
      continue;
    }
    if (columns === undefined) [columns, columnsLine] = [cells.length, line];
    if (cells.length !== columns) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${line}: ${cells.length} column(s) but line ${columnsLine} has ${columns}; a CoNLL file has the ` +
          `same columns on every word line (the word first, the tag last), separated by spaces or tabs ` +
          `(got ${JSON.stringify(raw.slice(0, 80))})`,
      );
    }
    if (tokens.length === 0) start = line;
    if (tokens.length >= maxWords) {
      throw new TunekitError(
        "DATA_INVALID",
        `${file}:${start}: a sentence of more than ${maxWords} words; are sentences separated by blank lines? ` +
          "Raise maxSentenceWords if they are",
      );
    }
    tokens.push(cells[0]!);
    tags.push(cells[cells.length - 1]!);
  }
  flush();
  if (sentences.length === 0) {
    throw new TunekitError(
      "DATA_INVALID",
      `${file}: no sentence (the file is empty, or only blank and -DOCSTART- lines); expected one word a line, ` +
        "its tag last, and blank lines between sentences",
    );
  }
  return sentences;
}
