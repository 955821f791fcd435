import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDatasetConfig } from "./dataset-config.js";
import { type DatasetSplits, loadDataset } from "./dataset.js";

// Every example config in examples/data/ loads its data set from the shared data folder beside the repository (../shared/data) with no code.
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const EXAMPLES = join(REPO_ROOT, "examples", "data");
const SHARED_OVERRIDE = process.env.TUNEKIT_SHARED_DIR;

/** Rewrites "../shared/..." paths when TUNEKIT_SHARED_DIR points elsewhere. */
function relocate(value: unknown): unknown {
  if (typeof value === "string" && SHARED_OVERRIDE !== undefined && value.startsWith("../shared/")) {
    return join(SHARED_OVERRIDE, value.slice("../shared/".length));
  }
  if (Array.isArray(value)) return value.map(relocate);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v)]));
  }
  return value;
}

async function loadExample(name: string): Promise<DatasetSplits> {
  const text = await readFile(join(EXAMPLES, `${name}.json`), "utf8");
  return loadDataset(relocate(parseDatasetConfig(JSON.parse(text), `${name}.json`)), { baseDir: REPO_ROOT });
}

// Row counts from ../shared/data/README.md.
const EXPECTED: Record<
  string,
  { train?: number; validation?: number; test?: number; total?: number; classes: number; emptyTexts?: number }
> = {
  sst2: { train: 67349, validation: 872, test: 1821, classes: 2 },
  sst5: { train: 8544, validation: 1101, test: 2210, classes: 3 },
  "tweeteval-sentiment": { validation: 2000, test: 12284, classes: 3 },
  rte: { train: 2490, validation: 277, test: 3000, classes: 2 },
  mrpc: { train: 3668, validation: 408, test: 1725, total: 4076 + 1725, classes: 2 },
  stsb: { train: 5749, validation: 1500, test: 1379, classes: 0 },
  cola: { train: 8551, validation: 527, test: 516, classes: 2 },
  qnli: { validation: 5463, classes: 2 },
  mr: { total: 10662, classes: 2 },
  subj: { total: 10000, classes: 2 },
  // cr and mpqa have lines with a label and no text ("0 "): skipped, and reported.
  cr: { total: 3775, classes: 2, emptyTexts: 4 },
  mpqa: { total: 10606, classes: 2, emptyTexts: 3 },
};

describe("examples/data configs load the shared data sets", () => {
  it("has one example config per shared data set", async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: row counts match the README, no bad rows`, async () => {
      const ds = await loadExample(name);
      expect(ds.labelNames.length).toBe(want.classes);
      let total = 0;
      const skipped = want.emptyTexts ?? 0;
      for (const split of ["train", "validation", "test"] as const) {
        const s = ds[split];
        if (want[split] !== undefined) expect(s?.texts.length, `${name}/${split}`).toBe(want[split]);
        if (s === undefined) continue;
        total += s.texts.length;
        expect(s.report.badRows.length).toBe(skipped);
        expect(s.report.badRows.every((b) => b.reason === "empty-text")).toBe(true);
        expect(s.report.blankLines).toEqual([]);
        if (s.labels !== undefined) expect(s.labels.length).toBe(s.texts.length);
        for (const t of s.texts.slice(0, 50)) expect(t.trim().length).toBeGreaterThan(0);
      }
      if (want.total !== undefined) expect(total + skipped).toBe(want.total);
      if (skipped > 0) expect(ds.train?.report.rowsRead).toBe(want.total);
    });
  }

  it("sst5 folds 5 classes to 3 with the right counts", async () => {
    const ds = await loadExample("sst5");
    // train: 0:1092 + 1:2218 = 3310 negative, 2:1624 neutral, 3:2322 + 4:1288 = 3610 positive
    expect(ds.train?.report.labelCounts).toEqual({ negative: 3310, neutral: 1624, positive: 3610 });
    expect(ds.train?.texts[0]).toMatch(/^a stirring , funny/);
    expect(ds.train?.labels?.[0]).toBe(2); // raw 4 -> positive
  });

  it("mrpc strips the BOM on the header and reads pairs; stsb reads float scores", async () => {
    const mrpc = await loadExample("mrpc");
    expect(mrpc.test?.textPairs?.length).toBe(1725);
    expect(mrpc.test?.labels?.[0]).toBe(1);
    expect(mrpc.test?.texts[0]).toMatch(/^PCCW's chief operating officer/);
    const stsb = await loadExample("stsb");
    expect(stsb.task).toBe("regression");
    expect(stsb.train?.labels).toBeInstanceOf(Float32Array);
    expect(stsb.train?.labels?.[0]).toBeCloseTo(5.0, 6);
    expect(stsb.train?.labels?.[1]).toBeCloseTo(3.8, 6);
    expect(stsb.test?.labels).toBeUndefined();
  });

  it("decodes latin-1 (mr) and string labels (qnli)", async () => {
    const mr = await loadExample("mr");
    const all = [...(mr.train?.texts ?? []), ...(mr.validation?.texts ?? []), ...(mr.test?.texts ?? [])];
    expect(all.some((t) => t.includes("\u00e9"))).toBe(true); // é decoded from the single byte 0xE9
    expect(all.some((t) => t.includes("\uFFFD"))).toBe(false);
    const qnli = await loadExample("qnli");
    expect(qnli.validation?.report.labelCounts).toEqual({ entailment: 2702, not_entailment: 2761 });
  });
});
