import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTokenizer } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { loadTokenData, tokenizeWords } from "./token-data.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const tokenizer = await loadTokenizer(join(REPO, "../shared/tokenizers/bert-base-uncased"));

async function jsonl(rows: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-tokens-"));
  const path = join(dir, "rows.jsonl");
  await writeFile(path, rows.map((r) => JSON.stringify(r)).join("\n"));
  return path;
}

describe("token classification data", () => {
  it("puts each word's tag on its first word piece, -100 on other pieces and special tokens", async () => {
    const words = ["Tunekit", "is", "unaffable"];
    const pieces = words.map((w) => tokenizer.tokenize(w));
    expect(pieces[0]!.length).toBeGreaterThan(1); // "tunekit" splits into several pieces
    const data = tokenizeWords(
      { words: [words], tags: [["B-ORG", "O", "O"]] },
      ["O", "B-ORG"],
      tokenizer,
      32,
    );
    const ids = Array.from(data.ids[0]!);
    expect(ids).toEqual([101, ...pieces.flat(), 102]);
    const expected = [-100];
    for (const [w, p] of pieces.entries()) expected.push(w === 0 ? 1 : 0, ...p.slice(1).map(() => -100));
    expected.push(-100);
    expect(Array.from(data.tokenLabels[0]!)).toEqual(expected);
    expect(Array.from(data.wordStarts[0]!)).toEqual([1, 1 + pieces[0]!.length, 1 + pieces[0]!.length + 1]);
    expect(data.lengths[0]).toBe(ids.length);
  });

  it("truncates at a word boundary within maxLength and counts the row", () => {
    const words = ["a", "b", "c", "d", "e"];
    const data = tokenizeWords({ words: [words], tags: undefined }, ["O", "X"], tokenizer, 5);
    expect(data.ids[0]!.length).toBe(5); // [CLS] a b c [SEP]
    expect(data.numTruncated).toBe(1);
    expect(Array.from(data.tokenLabels[0]!)).toEqual([-100, -100, -100, -100, -100]); // untagged rows: nothing scored
  });

  it("loads JSONL splits, infers sorted labels and names the file and line of bad rows", async () => {
    const train = await jsonl([
      { tokens: ["Paris", "is", "nice"], tags: ["B-LOC", "O", "O"] },
      { tokens: ["Bob"], tags: ["B-PER"] },
    ]);
    const data = await loadTokenData({ splits: { train }, tokensKey: "tokens", tagsKey: "tags" }, "/");
    expect(data.labelNames).toEqual(["B-LOC", "B-PER", "O"]);
    expect(data.splits.train?.words).toHaveLength(2);
    const bad = await jsonl([{ tokens: ["a", "b"], tags: ["O"] }]);
    await expect(
      loadTokenData({ splits: { train: bad }, tokensKey: "tokens", tagsKey: "tags" }, "/"),
    ).rejects.toThrow(`${bad}:1: "tags" must be a list as long as "tokens" (2), got 1`);
    const unknown = await jsonl([{ tokens: ["a"], tags: ["B-XYZ"] }]);
    await expect(
      loadTokenData(
        { splits: { train: unknown }, tokensKey: "tokens", tagsKey: "tags", labels: ["O", "B-PER"] },
        "/",
      ),
    ).rejects.toThrow(/has tag "B-XYZ", which is not one of the labels \[O, B-PER\]/);
  });
});
