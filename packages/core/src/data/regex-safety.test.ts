import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { checkTokenizerRegexes, regexBacktrackingRisk } from "./regex-safety.js";
import { tokenizerFromJson } from "./tokenizer.js";

const SHARED =
  process.env.TUNEKIT_SHARED_DIR ?? fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const BERT = join(SHARED, "tokenizers", "bert-base-uncased");

describe("regexBacktrackingRisk", () => {
  it("refuses nested repetition, repeated alternation and backreferences", () => {
    for (const p of [
      "(a+)+$",
      "(a*)*",
      "(?:\\s*x?)+y",
      "(a|a)*$",
      "((ab)+c)*",
      "(x+){2,}",
      "(\\w+)\\1",
      "(?<n>a)\\k<n>",
    ])
      expect(regexBacktrackingRisk(p), p).toBeDefined();
    expect(regexBacktrackingRisk("(a+)+$")).toContain("a repeated group (a+)+ holds a repetition");
    expect(regexBacktrackingRisk("x".repeat(5000))).toContain("5000 characters long");
  });

  it("accepts the pre-tokenizer patterns of real tokenizers and simple normalizers", () => {
    const gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    const llama3 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    for (const p of [gpt2, llama3, " {2,}", "\\s+", "[()+*]+", "(ab){2}", "(a|b)c+", "\\p{N}{1,3}"])
      expect(regexBacktrackingRisk(p), p).toBeUndefined();
  });
});

describe("tokenizer.json regexes", () => {
  it("a normalizer (a+)+$ is TOKENIZER_INVALID at load, naming the JSON path (it used to hang encode for > 120 s)", async () => {
    const json = JSON.parse(await readFile(join(BERT, "tokenizer.json"), "utf8"));
    const hostile = {
      ...json,
      normalizer: {
        type: "Sequence",
        normalizers: [json.normalizer, { type: "Replace", pattern: { Regex: "(a+)+$" }, content: "" }],
      },
    };
    let err: unknown;
    try {
      tokenizerFromJson(hostile, {}, "evil/tokenizer.json");
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "TOKENIZER_INVALID")).toBe(true);
    expect((err as Error).message).toContain(
      'evil/tokenizer.json: normalizer.normalizers[1].pattern.Regex is the regex "(a+)+$"',
    );
    // the bert tokenizer itself still loads (its vocabulary is not searched for patterns)
    checkTokenizerRegexes(json, "tokenizer.json");
    expect(tokenizerFromJson(json).tokenize("hello world")).toEqual([7592, 2088]);
  });
});
