import { describe, expect, it } from "vitest";
import { parseConll } from "./conll.js";

const CONLL2003 = [
  "-DOCSTART- -X- -X- O",
  "",
  "EU NNP B-NP B-ORG",
  "rejects VBZ B-VP O",
  "German JJ B-NP B-MISC",
  "",
  "Peter NNP B-NP B-PER",
  "Blackburn NNP I-NP I-PER",
  "",
  "-DOCSTART- -X- -X- O",
  "BRUSSELS NNP B-NP B-LOC",
  "",
].join("\n");

describe("parseConll", () => {
  it("reads CoNLL-2003: word first, tag last, blank lines and -DOCSTART- between sentences", () => {
    expect(parseConll(CONLL2003, "train.txt")).toEqual([
      { line: 3, tokens: ["EU", "rejects", "German"], tags: ["B-ORG", "O", "B-MISC"] },
      { line: 7, tokens: ["Peter", "Blackburn"], tags: ["B-PER", "I-PER"] },
      { line: 11, tokens: ["BRUSSELS"], tags: ["B-LOC"] },
    ]);
  });

  it("reads tab-separated two-column IOB with CRLF, a BOM, runs of blank lines and no final newline", () => {
    const text = "\uFEFFJohn\tB-PER\r\nlives\tO\r\n\r\n\r\n\r\nParis\tB-LOC";
    expect(parseConll(text, "x.iob")).toEqual([
      { line: 1, tokens: ["John", "lives"], tags: ["B-PER", "O"] },
      { line: 6, tokens: ["Paris"], tags: ["B-LOC"] },
    ]);
  });

  it("a file of words alone is untagged", () => {
    expect(parseConll("a\nb\n\nc\n", "test.txt")).toEqual([
      { line: 1, tokens: ["a", "b"], tags: undefined },
      { line: 4, tokens: ["c"], tags: undefined },
    ]);
  });

  it("refuses ragged columns, endless sentences and files without a sentence, naming file:line", () => {
    expect(() => parseConll("EU B-ORG\nrejects\n", "a.txt")).toThrow(
      /a.txt:2: 1 column\(s\) but line 1 has 2; a CoNLL file has the same columns on every word line/,
    );
    expect(() => parseConll("w O\n".repeat(11), "b.txt", { maxSentenceWords: 10 })).toThrow(
      /b.txt:1: a sentence of more than 10 words; are sentences separated by blank lines/,
    );
    expect(() => parseConll("-DOCSTART- O\n\n\n", "c.txt")).toThrow(/c.txt: no sentence/);
    expect(() => parseConll("a O\n\nb O\n\nc O\n", "d.txt", { maxSentences: 2 })).toThrow(
      /more than 2 sentences/,
    );
  });
});
