import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostileOutcome, mutations, runHostileCase } from "../testing/hostile-input.js";
import { assertHostileProperty, hostileBytes } from "../testing/properties.js";
import { loadDataset } from "./dataset.js";
import type { DatasetConfig } from "./dataset-config.js";

// Hostile data files through the whole loader (read, decode, parse, columns, labels): every
// file either loads or throws DATA_INVALID, each case within 1 s, with onBadRow 'fail' and 'skip'.
const CODES = ["DATA_INVALID"] as const;
const enc = new TextEncoder();

const FILES: Record<string, { text: string; config: Omit<DatasetConfig, "splits"> }> = {
  "data.csv": {
    text: 'id,text,label\n1,"Great, really ""great""",pos\n2,"two\nlines",neg\n3,plain,pos\n4,é ü ñ 漢字,neg\n',
    config: { format: "csv", columns: { text: "text", label: "label" } },
  },
  "data.tsv": {
    text: 'sentence\tlabel\nit\'s "fine"\t1\nbad movie\t0\nok\t1\n',
    config: { format: "tsv", columns: { text: "sentence", label: "label" }, labels: ["0", "1"] },
  },
  "data.jsonl": {
    text: '{"a":"x y","b":"z","y":1}\n{"a":"p","b":"q","y":0}\n{"a":"k","b":"l","y":1}\n',
    config: { format: "jsonl", columns: { text: "a", textPair: "b", label: "y" } },
  },
  "data.txt": {
    text: "1 a fine film .\n0 dull\n1\tgreat !\n",
    config: { format: "label-prefixed" },
  },
  // AdvGLUE's layout: one JSON document, an object of tasks
  "data.json": {
    text: `{"sst2": [\n${[
      "a fine film , full of warmth and wit",
      "dull , dull , dull from the first scene to the last",
      "great fun for the whole family",
      "ok \\u00e9 but overlong and a little too pleased with itself",
      "the cast is better than the material",
      "an unforgettable , moving portrait of a town",
    ]
      .map((t, i) => `  {"sentence": "${t}", "label": ${i % 2}, "idx": ${i}}`)
      .join(",\n")}\n], "qqp": []}\n`,
    config: { format: "json", field: "sst2", columns: { text: "sentence", label: "label" } },
  },
  // AG News' layout: quoted CSV without a header, title and description joined
  "news.csv": {
    text:
      '"3","Wall St. Bears Claw Back","Short-sellers, Wall Street\'s ""dwindling"" band"\n' +
      '"4","Carlyle Looks Toward Commercial Aerospace","Private investment firm"\n' +
      '"3","Oil and Economy","Soaring crude prices\nplus worries"\n',
    config: { format: "csv", header: false, columns: { text: [1, 2], label: 0, separator: ". " } },
  },
};

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-ds-fuzz-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Config fields to set, or to clear with undefined (a JSON document without "field").
type Overrides = { readonly [K in keyof DatasetConfig]?: DatasetConfig[K] | undefined };

async function load(
  name: string,
  bytes: Uint8Array | string,
  onBadRow: "fail" | "skip",
  extra: Overrides = {},
): Promise<unknown> {
  const spec = FILES[name]!;
  await writeFile(join(dir, name), bytes);
  return loadDataset({ ...spec.config, onBadRow, ...extra, splits: { train: name } }, { baseDir: dir });
}

function tally(outcomes: HostileOutcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}

describe("data set files under hostile input", () => {
  for (const name of Object.keys(FILES)) {
    it(`${name}: 150 seeded byte mutations, onBadRow fail and skip: loads or DATA_INVALID, each < 1 s`, async () => {
      const valid = enc.encode(FILES[name]!.text);
      expect(await runHostileCase(`${name} valid`, () => load(name, valid, "fail"), { codes: CODES })).toBe(
        "ok",
      );
      const outcomes: HostileOutcome[] = [];
      for (const { bytes, what } of mutations(valid, 150, 4242 + name.length)) {
        outcomes.push(
          await runHostileCase(`${name} ${what} (fail)`, () => load(name, bytes, "fail"), { codes: CODES }),
        );
        outcomes.push(
          await runHostileCase(`${name} ${what} (skip)`, () => load(name, bytes, "skip"), { codes: CODES }),
        );
      }
      const t = tally(outcomes);
      expect(t.DATA_INVALID ?? 0).toBeGreaterThan(20);
      expect(t.ok ?? 0).toBeGreaterThan(20);
    });
  }

  it("crafted CSV: unterminated quotes, stray quotes, NUL, invalid UTF-8, BOM, CRLF, lone CR, empty", async () => {
    const cases: [string, string | Uint8Array, HostileOutcome][] = [
      ["empty file", "", "DATA_INVALID"],
      ["only a header (zero rows, reported)", "id,text,label\n", "ok"],
      ["unterminated quote", 'id,text,label\n1,"never closed,pos\n2,b,neg\n', "DATA_INVALID"],
      ["unterminated quote at EOF", 'id,text,label\n1,"', "DATA_INVALID"],
      ["a lone quote", '"', "DATA_INVALID"],
      ["text after a closing quote", 'id,text,label\n1,"a"b,pos\n', "DATA_INVALID"],
      ["NUL byte", "id,text,label\n1,a\u0000b,pos\n", "DATA_INVALID"],
      [
        "invalid UTF-8",
        new Uint8Array([...enc.encode("id,text,label\n1,"), 0xc3, 0x28, ...enc.encode(",pos\n")]),
        "DATA_INVALID",
      ],
      [
        "UTF-16 surrogate bytes",
        new Uint8Array([...enc.encode("id,text,label\n1,"), 0xed, 0xa0, 0x80, ...enc.encode(",pos\n")]),
        "DATA_INVALID",
      ],
      [
        "truncated UTF-8 at EOF",
        new Uint8Array([...enc.encode("id,text,label\n1,a,pos\n2,"), 0xe6, 0xbc]),
        "DATA_INVALID",
      ],
      ["BOM + header (BOM stripped)", "\uFEFFid,text,label\n1,a,pos\n", "ok"],
      ["CRLF line ends", "id,text,label\r\n1,a,pos\r\n2,b,neg\r\n", "ok"],
      ["lone CR line ends", "id,text,label\r1,a,pos\r2,b,neg\r", "ok"],
      ["wrong column counts", "id,text,label\n1,a\n2,b,neg,extra\n", "DATA_INVALID"],
      ["missing text column in header", "id,body,label\n1,a,pos\n", "DATA_INVALID"],
      ["100k columns", `id,text,label\n1,a,pos${",x".repeat(100_000)}\n`, "DATA_INVALID"],
    ];
    for (const [label, content, want] of cases) {
      expect(
        await runHostileCase(label, () => load("data.csv", content, "fail"), { codes: CODES }),
        label,
      ).toBe(want);
    }
    // An empty file says so (it used to blame a missing header of a file that has none at all).
    await expect(load("data.csv", "\n\n", "fail")).rejects.toThrow(
      /the file has no rows \(it is empty or only blank lines\)/,
    );
  });

  it("crafted sizes: a 2M-character line, a 2M-character quoted field, 200k lines, 100k quote escapes", async () => {
    const longLine = `id,text,label\n1,${"x".repeat(2_000_000)},pos\n`;
    const longQuoted = `id,text,label\n1,"${"x\n".repeat(1_000_000)}",pos\n`;
    const manyLines = `id,text,label\n${"1,a,pos\n".repeat(200_000)}`;
    const manyEscapes = `id,text,label\n1,"${'""'.repeat(100_000)}",pos\n`;
    expect(
      await runHostileCase("long line", () => load("data.csv", longLine, "fail"), { codes: CODES }),
    ).toBe("DATA_INVALID");
    await expect(load("data.csv", longLine, "skip")).rejects.toThrow(
      /exceeds maxLineLength 1000000|runs over 1000000/,
    );
    expect(
      await runHostileCase("long quoted", () => load("data.csv", longQuoted, "fail"), { codes: CODES }),
    ).toBe("DATA_INVALID");
    expect(
      await runHostileCase(
        "long line, raised limit",
        () => load("data.csv", longLine, "fail", { maxLineLength: 3_000_000 }),
        {
          codes: CODES,
        },
      ),
    ).toBe("ok");
    expect(
      await runHostileCase("200k lines", () => load("data.csv", manyLines, "fail"), {
        codes: CODES,
        maxMs: 3000,
      }),
    ).toBe("ok");
    expect(
      await runHostileCase("100k escapes", () => load("data.csv", manyEscapes, "fail"), { codes: CODES }),
    ).toBe("ok");
    // The over-long field is the last one of its record (no delimiter after it).
    const longLastField = `id,label,text\n1,pos,${"x".repeat(2_000_000)}\n`;
    expect(
      await runHostileCase("long last field", () => load("data.csv", longLastField, "fail"), {
        codes: CODES,
      }),
    ).toBe("DATA_INVALID");
    const tsvLong = `sentence\tlabel\n${"y".repeat(2_000_000)}\t1\n`;
    expect(
      await runHostileCase("tsv long line", () => load("data.tsv", tsvLong, "skip"), { codes: CODES }),
    ).toBe("DATA_INVALID");
    expect(
      await runHostileCase(
        "file over maxFileBytes",
        () => load("data.tsv", manyLines, "skip", { maxFileBytes: 1000 }),
        {
          codes: CODES,
        },
      ),
    ).toBe("DATA_INVALID");
  });

  it("crafted JSONL: non-object lines, invalid JSON, deep nesting, prototype keys, missing fields", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const cases: [string, string, "fail" | "skip", HostileOutcome][] = [
      ["scalar lines", '1\n"text"\nnull\ntrue\n{"a":"x","b":"y","y":1}\n', "fail", "DATA_INVALID"],
      ["scalar lines skipped", '1\n"text"\nnull\ntrue\n{"a":"x","b":"y","y":1}\n', "skip", "ok"],
      ["invalid JSON", '{"a": "x", \n{"a":"x","b":"y","y":1}\n', "fail", "DATA_INVALID"],
      ["deep array line", `${deep}\n{"a":"x","b":"y","y":1}\n`, "skip", "ok"],
      ["deep object line", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}\n`, "fail", "DATA_INVALID"],
      ["__proto__ keys", '{"__proto__":{"a":"x"},"a":"t","b":"u","y":1}\n', "fail", "ok"],
      ["text is an object", '{"a":{"x":1},"b":"u","y":1}\n', "fail", "DATA_INVALID"],
      ["label is null", '{"a":"t","b":"u","y":null}\n', "fail", "DATA_INVALID"],
      ["only blank lines (zero rows, reported)", "\n\n  \n", "fail", "ok"],
    ];
    for (const [label, content, mode, want] of cases) {
      expect(
        await runHostileCase(label, () => load("data.jsonl", content, mode), { codes: CODES }),
        label,
      ).toBe(want);
    }
  });

  it("crafted JSON documents: scalars, deep nesting, prototype fields, wrong field, JSON Lines, huge arrays", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const row = '{"sentence":"x","label":1}';
    const cases: [string, string, Overrides, "fail" | "skip", HostileOutcome][] = [
      ["empty file", "", {}, "fail", "DATA_INVALID"],
      ["a scalar document", "42", {}, "fail", "DATA_INVALID"],
      ["null document", "null", { field: undefined }, "fail", "DATA_INVALID"],
      ["deep nesting at the field", `{"sst2": ${deep}}`, {}, "skip", "DATA_INVALID"],
      ["deep nesting in a record", `{"sst2": [${deep}, ${row}]}`, {}, "skip", "ok"],
      ["field through __proto__", `{"sst2": [${row}]}`, { field: "__proto__" }, "fail", "DATA_INVALID"],
      [
        "field through constructor",
        `{"sst2": [${row}]}`,
        { field: "constructor.prototype" },
        "fail",
        "DATA_INVALID",
      ],
      ["field names an object", `{"sst2": {"a": ${row}}}`, {}, "fail", "DATA_INVALID"],
      ["field past a leaf", `{"sst2": [${row}]}`, { field: "sst2.0.sentence" }, "fail", "DATA_INVALID"],
      ["an array document without field", `[${row}, ${row}]`, { field: undefined }, "fail", "ok"],
      ["an object without field", `{"sst2": [${row}]}`, { field: undefined }, "fail", "DATA_INVALID"],
      ["JSON Lines given as json", `${row}\n${row}\n`, {}, "skip", "DATA_INVALID"],
      ["scalar records skipped", `{"sst2": [1, "x", null, ${row}]}`, {}, "skip", "ok"],
      ["only scalar records", `{"sst2": [1, "x", null]}`, {}, "skip", "DATA_INVALID"],
      ["200k null records", `{"sst2": [${"null,".repeat(200_000)}${row}]}`, {}, "skip", "ok"],
      [
        "__proto__ keys in records",
        '{"sst2": [{"__proto__": {"sentence": "p"}, "sentence": "t", "label": 1}]}',
        {},
        "fail",
        "ok",
      ],
      ["a 2M-character minified document", `{"sst2": [${`${row},`.repeat(80_000)}${row}]}`, {}, "fail", "ok"],
    ];
    for (const [label, content, extra, mode, want] of cases) {
      expect(
        await runHostileCase(label, () => load("data.json", content, mode, extra), { codes: CODES }),
        label,
      ).toBe(want);
    }
  });

  it("JSON documents and JSON Lines given as each other name the format they look like", async () => {
    const doc = '{"sst2": [\n  {"sentence": "a", "label": 1},\n  {"sentence": "b", "label": 0}\n]}\n';
    const asJsonl = load("data.jsonl", doc, "skip", { columns: { text: "sentence", label: "label" } });
    await expect(asJsonl).rejects.toThrow(
      /this is a JSON document, not JSON Lines: set "format": "json".*sst2/,
    );
    const lines = '{"sentence": "a", "label": 1}\n{"sentence": "b", "label": 0}\n';
    await expect(load("data.json", lines, "fail")).rejects.toThrow(
      /this is JSON Lines \(one JSON object a line\), not a JSON document: set "format": "jsonl"/,
    );
    await expect(load("data.tsv", doc, "skip")).rejects.toThrow(/this is a JSON document, not TSV/);
  });

  it("labels named like Object.prototype members are ordinary labels (counts, labelMap)", async () => {
    const text = "sentence\tlabel\na\tconstructor\nb\t__proto__\nc\ttoString\nd\t0\ne\t__proto__\n";
    await writeFile(join(dir, "proto.tsv"), text);
    const base = {
      format: "tsv",
      columns: { text: "sentence", label: "label" },
      splits: { train: "proto.tsv" },
    } as const;
    const plain = await loadDataset(base, { baseDir: dir });
    expect(plain.labelNames).toEqual(["0", "__proto__", "constructor", "toString"]);
    expect(Object.entries(plain.train!.report.labelCounts).sort()).toEqual([
      ["0", 1],
      ["__proto__", 2],
      ["constructor", 1],
      ["toString", 1],
    ]);
    const mapped = await loadDataset({ ...base, labelMap: { "0": "zero" } }, { baseDir: dir });
    expect(mapped.labelNames).toEqual(["__proto__", "constructor", "toString", "zero"]);
  });

  it("crafted label-prefixed and parallel-lines files", async () => {
    expect(await runHostileCase("no text", () => load("data.txt", "1\n0\n", "fail"), { codes: CODES })).toBe(
      "DATA_INVALID",
    );
    await writeFile(join(dir, "t.txt"), "a\nb\nc\n");
    await writeFile(join(dir, "l.txt"), new Uint8Array([0x30, 0x0a, 0xff, 0x0a]));
    const parallel = (labelFile: string) => () =>
      loadDataset(
        { format: "parallel-lines", splits: { train: { textFile: "t.txt", labelFile } } },
        { baseDir: dir },
      );
    expect(await runHostileCase("invalid UTF-8 labels", parallel("l.txt"), { codes: CODES })).toBe(
      "DATA_INVALID",
    );
    await writeFile(join(dir, "l2.txt"), "0\n1\n");
    expect(await runHostileCase("misaligned files", parallel("l2.txt"), { codes: CODES })).toBe(
      "DATA_INVALID",
    );
    expect(await runHostileCase("missing file", parallel("nope.txt"), { codes: ["IO_ERROR"] })).toBe(
      "IO_ERROR",
    );
  });
});

// Property-based (fast-check, fixed seeds; TUNEKIT_FUZZ_SCALE=N for N times the cases): every
// format's valid file, edited or replaced by noise, loads or fails with DATA_INVALID.
describe("data files: fast-check properties", () => {
  it("hostile bytes of each format (CSV, TSV, JSONL, label-prefixed, JSON, headerless CSV)", async () => {
    let seed = 61;
    for (const name of Object.keys(FILES)) {
      const onBadRow = seed % 2 === 0 ? "skip" : "fail";
      const t = await assertHostileProperty(
        hostileBytes(enc.encode(FILES[name]!.text)),
        (b) => load(name, b, onBadRow),
        {
          codes: CODES,
          seed: seed++,
          numRuns: 80,
        },
      );
      expect(t.DATA_INVALID ?? 0, name).toBeGreaterThan(5);
    }
  });
});
