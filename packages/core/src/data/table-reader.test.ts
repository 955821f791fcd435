import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { parseDelimited, parseJsonLines, parseLabelPrefixed, splitLines } from "./table-reader.js";
import { decodeText, readTextFile } from "./text-decoding.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dataError = (re: RegExp) => (e: unknown) =>
  isTunekitError(e, "DATA_INVALID") && re.test((e as Error).message);

describe("decodeText", () => {
  it("strips a UTF-8 BOM and decodes latin-1 byte for byte", () => {
    expect(decodeText(enc("\uFEFFQuality\tx\n"), "utf-8", "f")).toBe("Quality\tx\n");
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x85]), "latin1", "f")).toBe("caf\u00e9\u0085");
    expect(decodeText(new Uint8Array([0x85, 0x93, 0xe9]), "windows-1252", "f")).toBe("\u2026\u201c\u00e9");
  });

  it("rejects NUL bytes and invalid UTF-8 with file:line", () => {
    expect(() => decodeText(enc("a\nb\nc\u0000"), "utf-8", "bin.tsv")).toThrow(/bin\.tsv:3: NUL byte/);
    const bad = new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0x63, 0xe9, 0x20]); // latin-1 é inside UTF-8
    expect(() => decodeText(bad, "utf-8", "x.tsv")).toThrow(/x\.tsv:3: invalid UTF-8 at byte offset 5/);
    expect(() => decodeText(new Uint8Array([0x61, 0xf0, 0x9f]), "utf-8", "t")).toThrow(
      /t:1: invalid UTF-8 at byte offset 1/,
    );
  });

  it("rejects random binary garbage quickly", () => {
    const bytes = new Uint8Array(1 << 20);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    expect(() => decodeText(bytes, "utf-8", "g")).toThrow(expect.objectContaining({ code: "DATA_INVALID" }));
  });
});

describe("splitLines", () => {
  it("splits on \\n and \\r\\n only, numbering from 1", () => {
    expect(splitLines("a\r\nb\u0085c\n\nd", "f")).toEqual([
      { line: 1, text: "a" },
      { line: 2, text: "b\u0085c" },
      { line: 3, text: "" },
      { line: 4, text: "d" },
    ]);
  });

  it("rejects huge lines instead of hanging", () => {
    expect(() => splitLines(`ok\n${"x".repeat(2_000)}\n`, "h.txt", { maxLineLength: 1000 })).toThrow(
      /h\.txt:2: line of 2000 characters exceeds maxLineLength 1000/,
    );
  });
});

describe("parseDelimited", () => {
  it("RFC 4180: quoted delimiters, doubled quotes, embedded newlines, CRLF", () => {
    const text = 'text,label\r\n"a, b",1\r\n"say ""hi""\nthen go",0\r\nplain,1\r\n';
    const t = parseDelimited(text, { delimiter: ",", quoting: "rfc4180", file: "f.csv" });
    expect(t.records).toEqual([
      { line: 1, cells: ["text", "label"] },
      { line: 2, cells: ["a, b", "1"] },
      { line: 3, cells: ['say "hi"\nthen go', "0"] },
      { line: 5, cells: ["plain", "1"] },
    ]);
  });

  it("RFC 4180: empty fields, blank lines reported, text after a closing quote is a bad row", () => {
    const t = parseDelimited('a,,""\n\n"x"y,1\n', { delimiter: ",", quoting: "rfc4180", file: "f" });
    expect(t.records[0]).toEqual({ line: 1, cells: ["a", "", ""] });
    expect(t.blankLines).toEqual([2]);
    expect(t.records[1]?.line).toBe(3);
    expect(t.records[1]?.problem).toMatch(/after a closing quote/);
  });

  it("fails on an unterminated quote with the line where it opened", () => {
    const text = `a,1\nb,2\n"never closed,3\n${"c,4\n".repeat(1000)}`;
    expect(() => parseDelimited(text, { delimiter: ",", quoting: "rfc4180", file: "q.csv" })).toThrow(
      /q\.csv:3: unterminated quoted field/,
    );
    const long = `"${"x".repeat(5000)}`;
    let caught: unknown;
    try {
      parseDelimited(long, { delimiter: ",", quoting: "rfc4180", file: "q.csv", maxLineLength: 100 });
    } catch (e) {
      caught = e;
    }
    expect(isTunekitError(caught, "DATA_INVALID")).toBe(true);
  });

  it("quoting 'none' keeps quotes literal (GLUE TSV)", () => {
    const t = parseDelimited('1\t"the witness", he said\n', { delimiter: "\t", quoting: "none", file: "f" });
    expect(t.records[0]?.cells).toEqual(["1", '"the witness", he said']);
  });
});

describe("parseJsonLines and parseLabelPrefixed", () => {
  it("parses objects and flags malformed lines as problems", () => {
    const j = parseJsonLines('{"text":"a","label":1}\n\nnot json\n42\n["b", 0]\n', "f.jsonl");
    expect(j.records[0]).toEqual({ line: 1, value: { text: "a", label: 1 } });
    expect(j.blankLines).toEqual([2]);
    expect(j.records[1]?.problem).toMatch(/invalid JSON/);
    expect(j.records[2]?.problem).toMatch(/got number/);
    expect(j.records[3]).toEqual({ line: 5, value: ["b", 0] });
  });

  it("splits '<label> <text>' at the first space or tab", () => {
    const t = parseLabelPrefixed("4 a stirring film . \n0\tbad\n1 \n", "f");
    expect(t.records.map((r) => r.cells)).toEqual([
      ["4", "a stirring film ."],
      ["0", "bad"],
      ["1", ""],
    ]);
  });
});

describe("readTextFile", () => {
  it("enforces the file size limit and reports missing files as IO_ERROR", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-read-"));
    const f = join(dir, "big.txt");
    await writeFile(f, "x".repeat(2048));
    await expect(readTextFile(f, "utf-8", { maxFileBytes: 1024 })).rejects.toSatisfy(
      dataError(/exceeds the 1024-byte/),
    );
    await expect(readTextFile(join(dir, "nope.txt"), "utf-8")).rejects.toSatisfy((e) =>
      isTunekitError(e, "IO_ERROR"),
    );
    expect(await readTextFile(f, "utf-8")).toHaveLength(2048);
  });
});
