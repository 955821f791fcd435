import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostileOutcome, mutateJson, mutations, runHostileCase } from "../testing/hostile-input.js";
import { loadDataset } from "./dataset.js";
import { parseDatasetConfig } from "./dataset-config.js";
import { mulberry32 } from "./random.js";

// Hostile data set configs (JSON a CLI reads from disk): parsed, or CONFIG_INVALID; loading
// with a mutated config either works or fails with a typed error, each case within 1 s.
const VALID = {
  name: "fuzz",
  format: "csv",
  task: "classification",
  header: true,
  columns: { text: "text", textPair: "pair", label: "label" },
  labels: ["neg", "pos"],
  labelMap: { "0": "neg", "1": "pos" },
  onBadRow: "skip",
  maxLineLength: 1000,
  holdout: { validation: 0.25, seed: 3 },
  splits: { train: "train.csv", test: { files: ["test.csv"], unlabeled: true } },
};

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-dscfg-fuzz-"));
  await writeFile(join(dir, "train.csv"), "text,pair,label\na,b,0\nc,d,1\ne,f,pos\ng,h,neg\n");
  await writeFile(join(dir, "test.csv"), "text,pair,label\ni,j,\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("data set configs under hostile input", () => {
  it("the valid config loads (so mutations start from a good config)", async () => {
    const ds = await loadDataset(VALID, { baseDir: dir });
    expect(ds.labelNames).toEqual(["neg", "pos"]);
    expect((ds.train?.texts.length ?? 0) + (ds.validation?.texts.length ?? 0)).toBe(4);
  });

  it("400 seeded structural mutations: parse or CONFIG_INVALID; load or a typed error", async () => {
    const rng = mulberry32(2718);
    const outcomes: HostileOutcome[] = [];
    for (let i = 0; i < 400; i++) {
      const { doc, path } = mutateJson(VALID, rng);
      const parsed = await runHostileCase(`parse case ${i}: ${path}`, () => parseDatasetConfig(doc), {
        codes: ["CONFIG_INVALID"],
      });
      outcomes.push(parsed);
      if (parsed === "ok") {
        await runHostileCase(`load case ${i}: ${path}`, () => loadDataset(doc, { baseDir: dir }), {
          codes: ["CONFIG_INVALID", "DATA_INVALID", "IO_ERROR", "INVALID_ARGUMENT"],
        });
      }
    }
    expect(outcomes.filter((o) => o === "CONFIG_INVALID").length).toBeGreaterThan(100);
  });

  it("configs built in code: a sparse labels array is CONFIG_INVALID (was a TypeError in loading)", async () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the hostile input under test
    const sparse = { ...VALID, labels: [, "pos"] };
    expect(
      await runHostileCase("sparse labels", () => loadDataset(sparse, { baseDir: dir }), {
        codes: ["CONFIG_INVALID"],
      }),
    ).toBe("CONFIG_INVALID");
  });

  it("200 seeded byte mutations of the config text, then JSON.parse and parse", async () => {
    const text = new TextEncoder().encode(JSON.stringify(VALID));
    for (const { bytes, what } of mutations(text, 200, 161)) {
      await runHostileCase(
        what,
        () => {
          let json: unknown;
          try {
            json = JSON.parse(new TextDecoder().decode(bytes));
          } catch {
            return; // not JSON: the caller's JSON.parse fails before tunekit sees it
          }
          parseDatasetConfig(json);
        },
        { codes: ["CONFIG_INVALID"] },
      );
    }
  });
});
