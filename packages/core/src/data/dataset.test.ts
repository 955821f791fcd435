import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { loadDataset } from "./dataset.js";
import { parseDatasetConfig } from "./dataset-config.js";
import { holdoutIndices } from "./split.js";

let dir: string;
const put = (name: string, content: string | Uint8Array) => writeFile(join(dir, name), content);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-ds-"));
  await put(
    "reviews.csv",
    'id,review,stars\n1,"Great, really great",pos\n2,"He said ""meh""\nand left",neg\n3,ok,pos\n',
  );
  await put("bad.tsv", "text\tlabel\ngood\t1\n\t0\nfine\t7\nno label\t\nextra\t1\tcol\nlast\t0\n\n");
  await put(
    "pairs.jsonl",
    '{"a":"x y","b":"z","y":0.5}\n{"a":"p","b":"q","y":"4.25"}\n{"a":"r","b":"s","y":"n/a"}\n',
  );
  await put("texts.txt", "one\ntwo\nthree\n");
  await put("labels.txt", "0\n1\n");
  await put("garbage.tsv", new Uint8Array([0x74, 0x0a, 0xff, 0x00, 0x13, 0x37]));
  await put("unterminated.csv", 'text,label\n"oops,1\nmore,0\n');
});

describe("loadDataset", () => {
  it("loads RFC 4180 CSV with columns by name and inferred string labels", async () => {
    const ds = await loadDataset(
      { format: "csv", columns: { text: "review", label: "stars" }, splits: { train: "reviews.csv" } },
      { baseDir: dir },
    );
    expect(ds.labelNames).toEqual(["neg", "pos"]);
    expect(ds.train?.texts).toEqual(["Great, really great", 'He said "meh"\nand left', "ok"]);
    expect(Array.from(ds.train!.labels!)).toEqual([1, 0, 1]);
    expect(Array.from(ds.train!.rowLine)).toEqual([2, 3, 5]);
  });

  it("reports every bad row with file and line, or fails listing them", async () => {
    const config = {
      name: "bad",
      format: "tsv",
      columns: { text: 0, label: 1 },
      labels: [0, 1],
      splits: { train: "bad.tsv" },
    } as const;
    let err: unknown;
    try {
      await loadDataset(config, { baseDir: dir });
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "DATA_INVALID")).toBe(true);
    expect((err as Error).message).toContain(`${join(dir, "bad.tsv")}:3: empty-text`);

    const ds = await loadDataset({ ...config, onBadRow: "skip" }, { baseDir: dir });
    expect(ds.train?.texts).toEqual(["good", "last"]);
    expect(ds.train?.report.badRows.map((b) => [b.line, b.reason])).toEqual([
      [3, "empty-text"],
      [4, "unknown-label"],
      [5, "missing-label"],
      [6, "wrong-column-count"],
    ]);
    expect(ds.train?.report.blankLines).toEqual([{ file: join(dir, "bad.tsv"), line: 8 }]);
    expect(ds.train?.report.rowsRead).toBe(6);
    expect(ds.train?.report.labelCounts).toEqual({ "0": 1, "1": 1 });
  });

  it("loads JSONL pairs for regression and flags non-numeric targets", async () => {
    const ds = await loadDataset(
      {
        format: "jsonl",
        task: "regression",
        onBadRow: "skip",
        columns: { text: "a", textPair: "b", label: "y" },
        splits: { train: "pairs.jsonl" },
      },
      { baseDir: dir },
    );
    expect(ds.train?.textPairs).toEqual(["z", "q"]);
    expect(Array.from(ds.train!.labels!)).toEqual([0.5, 4.25]);
    expect(ds.train?.report.badRows[0]).toMatchObject({ line: 3, reason: "invalid-number" });
  });

  it("fails on misaligned parallel files and on hostile files", async () => {
    const parallel = {
      format: "parallel-lines",
      splits: { train: { textFile: "texts.txt", labelFile: "labels.txt" } },
    };
    await expect(loadDataset(parallel, { baseDir: dir })).rejects.toThrow(/2 lines but .*texts\.txt has 3/);
    const garbage = { format: "tsv", columns: { text: 0 }, splits: { train: "garbage.tsv" } };
    await expect(loadDataset(garbage, { baseDir: dir })).rejects.toThrow(/garbage\.tsv:2: NUL byte/);
    const unterminated = { format: "csv", columns: { text: "text" }, splits: { train: "unterminated.csv" } };
    await expect(loadDataset(unterminated, { baseDir: dir })).rejects.toThrow(
      /unterminated\.csv:2: unterminated/,
    );
    const missingColumn = { format: "csv", columns: { text: "body" }, splits: { train: "reviews.csv" } };
    await expect(loadDataset(missingColumn, { baseDir: dir })).rejects.toThrow(/header has no column "body"/);
  });

  it("carves a deterministic holdout from train", async () => {
    const config = {
      format: "label-prefixed",
      splits: { train: "texts.txt" },
      holdout: { validation: 0.34, seed: 3 },
      onBadRow: "skip",
    };
    await put("texts.txt", Array.from({ length: 30 }, (_, i) => `${i % 2} text number ${i}`).join("\n"));
    const a = await loadDataset(config, { baseDir: dir });
    const b = await loadDataset(config, { baseDir: dir });
    expect(a.validation?.texts.length).toBe(10); // round(0.34 * 30)
    expect(a.train?.texts.length).toBe(20);
    expect(a.validation?.texts).toEqual(b.validation?.texts);
    expect(a.validation?.report.holdoutOf).toBe("train");
    const all = new Set([...(a.train?.texts ?? []), ...(a.validation?.texts ?? [])]);
    expect(all.size).toBe(30);
    await put("texts.txt", "one\ntwo\nthree\n");
  });
});

describe("holdoutIndices", () => {
  it("is a seeded partition", () => {
    const h = holdoutIndices(100, { validation: 0.1, test: 0.2, seed: 42 });
    expect([h.train.length, h.validation.length, h.test.length]).toEqual([70, 10, 20]);
    const all = [...h.train, ...h.validation, ...h.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(holdoutIndices(100, { validation: 0.1, seed: 42 }).validation)).toEqual(
      Array.from(h.validation),
    );
    expect(Array.from(holdoutIndices(100, { validation: 0.1, seed: 43 }).validation)).not.toEqual(
      Array.from(h.validation),
    );
  });
});

describe("parseDatasetConfig", () => {
  it("names the bad field", () => {
    const ok = { format: "tsv", columns: { text: 0 }, splits: { train: "a.tsv" } };
    expect(parseDatasetConfig(ok)).toBe(ok);
    const cases: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ ...ok, format: "xml" }, /format must be one of/],
      [{ ...ok, colums: {} }, /colums is not a known field/],
      [{ ...ok, columns: {} }, /columns\.text is required/],
      [{ ...ok, splits: { dev: "a" } }, /splits\.dev is not one of/],
      [{ ...ok, labels: ["a", "a"] }, /labels has duplicates/],
      [{ ...ok, task: "regression", labels: ["a"] }, /do not apply to task 'regression'/],
      [{ ...ok, holdout: { validation: 1.5, seed: 1 } }, /holdout\.validation must be a fraction/],
      [
        { ...ok, splits: { train: "a", validation: "b" }, holdout: { validation: 0.1, seed: 1 } },
        /conflicts/,
      ],
      [{ ...ok, format: "parallel-lines", splits: { train: "a" } }, /textFile/],
    ];
    for (const [value, re] of cases) {
      expect(() => parseDatasetConfig(value)).toThrow(re);
      expect(() => parseDatasetConfig(value)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
  });
});
