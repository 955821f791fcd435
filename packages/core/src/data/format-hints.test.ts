import { describe, expect, it } from "vitest";
import { formatHint, sniffFormat } from "./format-hints.js";

describe("format hints", () => {
  it("tells JSON documents, JSON Lines and TSV apart from their first lines", () => {
    expect(sniffFormat('{"sst2": [\n  {"sentence": "a", "label": 1}\n]}')).toBe("json");
    expect(sniffFormat('[{"text": "a"}, {"text": "b"}]')).toBe("json");
    expect(sniffFormat('{"sst2": [{"sentence": "a"}]}')).toBe("json");
    expect(sniffFormat('{"text": "a"}\n{"text": "b"}\n')).toBe("jsonl");
    expect(sniffFormat('{"tokens": ["a", "b"], "tags": ["O", "O"]}')).toBe("jsonl");
    expect(sniffFormat("sentence\tlabel\nfine\t1\n")).toBe("tsv");
    expect(sniffFormat("1 a fine film\n0 dull\n")).toBeUndefined();
    expect(sniffFormat("\n\n")).toBeUndefined();
  });

  it("names the format a file looks like, and what to set", () => {
    expect(formatHint('{"sst2": [\n{"sentence": "a"}\n], "qqp": []}', "jsonl")).toBe(
      'this is a JSON document, not JSON Lines: set "format": "json" and "field" to the key of the records array (the document is an object with arrays: sst2, qqp)',
    );
    expect(formatHint('[\n{"text": "a"}\n]', "tsv")).toMatch(
      /^this is a JSON document, not TSV: set "format": "json" \(an array/,
    );
    expect(formatHint('{"a": 1}\n{"a": 2}\n', "json")).toBe(
      'this is JSON Lines (one JSON object a line), not a JSON document: set "format": "jsonl"',
    );
    expect(formatHint("a\tb\nc\td\n", "label-prefixed")).toMatch(
      /tab-separated values, not <label> <text> lines/,
    );
  });

  it("says nothing when the file looks like what was configured", () => {
    expect(formatHint('{"a": 1}\n{"a": 2}\n', "jsonl")).toBeUndefined();
    expect(formatHint("[{}]", "json")).toBeUndefined();
    expect(formatHint("a\tb\nc\td\n", "csv")).toBeUndefined();
    expect(formatHint("1 fine\n", "label-prefixed")).toBeUndefined();
  });

  it("reads at most 20 lines of 100k characters to guess", () => {
    const huge = `${"x".repeat(5_000_000)}\n`.repeat(3);
    expect(sniffFormat(huge)).toBeUndefined();
  });
});
