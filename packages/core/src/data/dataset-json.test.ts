import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDataset } from "./dataset.js";
import { parseDatasetConfig } from "./dataset-config.js";

// JSON documents (AdvGLUE's object of tasks) and several text columns joined (AG News).
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-json-ds-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const ADVGLUE = JSON.stringify({
  sst2: [
    { idx: 0, label: 0, sentence: "it 's an uneven treat ." },
    { idx: 1, label: 1, sentence: "a gorgeously made film ." },
  ],
  mnli: [{ idx: 0, label: 2, premise: "a man sleeps .", hypothesis: "a man runs ." }],
});

describe("JSON documents", () => {
  it("reads AdvGLUE's object of tasks with field, and a split's own field", async () => {
    const dir = await folder({ "dev.json": ADVGLUE });
    const sst2 = await loadDataset(
      {
        format: "json",
        field: "sst2",
        labels: [0, 1],
        columns: { text: "sentence", label: "label" },
        splits: { validation: "dev.json" },
      },
      { baseDir: dir },
    );
    expect(sst2.validation?.texts).toEqual(["it 's an uneven treat .", "a gorgeously made film ."]);
    expect(Array.from(sst2.validation!.labels!)).toEqual([0, 1]);
    expect(Array.from(sst2.validation!.rowLine)).toEqual([1, 2]);
    const mnli = await loadDataset(
      {
        format: "json",
        labels: [0, 1, 2],
        columns: { text: "premise", textPair: "hypothesis", label: "label" },
        splits: { validation: { files: "dev.json", field: "mnli" } },
      },
      { baseDir: dir },
    );
    expect(mnli.validation?.textPairs).toEqual(["a man runs ."]);
  });

  it("reads an array document; an object without field names its arrays", async () => {
    const dir = await folder({
      "a.json": '[{"t": "x", "y": "pos"}, {"t": "z", "y": "neg"}]',
      "dev.json": ADVGLUE,
    });
    const ds = await loadDataset(
      { format: "json", columns: { text: "t", label: "y" }, splits: { train: "a.json" } },
      { baseDir: dir },
    );
    expect(ds.labelNames).toEqual(["neg", "pos"]);
    await expect(
      loadDataset(
        { format: "json", columns: { text: "sentence" }, splits: { train: "dev.json" } },
        { baseDir: dir },
      ),
    ).rejects.toThrow(/set "field" to the key of the records array \(arrays: sst2, mnli\)/);
  });

  it("AdvGLUE read as JSON Lines names the format instead of suggesting onBadRow: 'skip'", async () => {
    const dir = await folder({ "dev.json": JSON.stringify(JSON.parse(ADVGLUE), null, 2) });
    for (const onBadRow of ["fail", "skip"] as const) {
      await expect(
        loadDataset(
          {
            format: "jsonl",
            onBadRow,
            columns: { text: "sentence", label: "label" },
            splits: { validation: "dev.json" },
          },
          { baseDir: dir },
        ),
      ).rejects.toThrow(
        /this is a JSON document, not JSON Lines: set "format": "json" and "field" .*sst2, mnli/,
      );
    }
  });

  it("a split whose every row is bad fails even with onBadRow: 'skip'", async () => {
    const dir = await folder({ "a.jsonl": '{"t": ""}\n{"t": " "}\n' });
    await expect(
      loadDataset(
        { format: "jsonl", onBadRow: "skip", columns: { text: "t" }, splits: { train: "a.jsonl" } },
        { baseDir: dir },
      ),
    ).rejects.toThrow(
      /all 2 row\(s\) are bad, so onBadRow: 'skip' would leave no data \(the first: .*a.jsonl:1: empty-text/,
    );
  });
});

describe("joined text columns", () => {
  it("AG News: quoted CSV without a header, title and description joined with a separator", async () => {
    const dir = await folder({
      "train.csv":
        '"3","Wall St. Bears Claw Back Into the Black","Reuters - Short-sellers are seeing green again."\n' +
        '"4","Carlyle Looks Toward Commercial Aerospace",""\n' +
        '"2","","Athens - the Games open."\n',
    });
    const ds = await loadDataset(
      {
        format: "csv",
        header: false,
        labelMap: { "1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech" },
        labels: ["World", "Sports", "Business", "Sci/Tech"],
        columns: { text: [1, 2], label: 0, separator: ". " },
        splits: { train: "train.csv" },
      },
      { baseDir: dir },
    );
    expect(ds.train?.texts).toEqual([
      "Wall St. Bears Claw Back Into the Black. Reuters - Short-sellers are seeing green again.",
      "Carlyle Looks Toward Commercial Aerospace",
      "Athens - the Games open.",
    ]);
    expect(Array.from(ds.train!.labels!)).toEqual([2, 3, 1]);
  });

  it("joins JSON keys (default separator a space); a row with every part empty is a bad row", async () => {
    const dir = await folder({ "a.jsonl": '{"title": "A", "body": "b c", "y": 1}\n{"title": "", "y": 0}\n' });
    const config = {
      format: "jsonl",
      columns: { text: ["title", "body"], label: "y" },
      splits: { train: "a.jsonl" },
    } as const;
    await expect(loadDataset(config, { baseDir: dir })).rejects.toThrow(/a.jsonl:2: empty-text/);
    const ds = await loadDataset({ ...config, onBadRow: "skip" }, { baseDir: dir });
    expect(ds.train?.texts).toEqual(["A b c"]);
  });

  it("checks the new config fields", () => {
    const base = { format: "csv", columns: { text: "t" }, splits: { train: "a.csv" } };
    expect(() => parseDatasetConfig({ ...base, columns: { text: [] } })).toThrow(/columns.text is required/);
    expect(() => parseDatasetConfig({ ...base, columns: { text: ["a", {}] } })).toThrow(
      /columns.text is required/,
    );
    expect(() => parseDatasetConfig({ ...base, columns: { text: "a", label: ["a", "b"] } })).toThrow(
      /columns.label must be a column name or 0-based index, got/,
    );
    expect(() => parseDatasetConfig({ ...base, columns: { text: "a", separator: 1 } })).toThrow(
      /columns.separator must be a string/,
    );
    expect(() => parseDatasetConfig({ ...base, field: "sst2" })).toThrow(
      /field applies to format "json" only/,
    );
    expect(() => parseDatasetConfig({ ...base, format: "json", field: "a..b" })).toThrow(
      /field must be a dot path/,
    );
    expect(() => parseDatasetConfig({ ...base, splits: { train: { files: "a.csv", field: "x" } } })).toThrow(
      /splits.train field must be a dot path .* with format "json"/,
    );
    expect(() => parseDatasetConfig({ ...base, splits: { train: { files: "a.csv", heder: true } } })).toThrow(
      /splits.train has an unknown key "heder"/,
    );
  });
});
