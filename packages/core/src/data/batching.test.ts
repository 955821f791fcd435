import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  collateRows,
  iterateBatches,
  planBatches,
  type TokenizedDataset,
  tokenizeDataset,
} from "./batching.js";
import { loadDataset } from "./dataset.js";
import { mixSeeds, mulberry32, permutation } from "./random.js";
import { loadTokenizer } from "./tokenizer.js";

const SHARED =
  process.env.TUNEKIT_SHARED_DIR ?? fileURLToPath(new URL("../../../../../shared/", import.meta.url));

describe("mulberry32", () => {
  it("is deterministic and roughly uniform", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02); // std of the mean ~ 0.0029
    expect(mixSeeds(1, 0)).not.toBe(mixSeeds(1, 1));
    expect(() => mulberry32(1.5)).toThrow(/integer/);
    expect(Array.from(permutation(6, mulberry32(1))).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("planBatches", () => {
  const lengths = Array.from({ length: 103 }, (_, i) => 5 + ((i * 37) % 60));

  it("covers every row exactly once, deterministically per seed and epoch", () => {
    const a = planBatches(lengths, { batchSize: 10, seed: 7 });
    expect(a.length).toBe(11);
    expect(a[a.length - 1]?.length).toBe(3);
    const seen = a.flatMap((b) => Array.from(b)).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(planBatches(lengths, { batchSize: 10, seed: 7 })).toEqual(a);
    expect(planBatches(lengths, { batchSize: 10, seed: 7, epoch: 1 })).not.toEqual(a);
    expect(planBatches(lengths, { batchSize: 10, shuffle: false })[0]).toEqual(
      Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
  });

  it("drops the last partial batch on request", () => {
    const b = planBatches(lengths, { batchSize: 10, seed: 7, lastBatch: "drop" });
    expect(b.length).toBe(10);
    expect(b.every((x) => x.length === 10)).toBe(true);
  });

  it("bucketing groups similar lengths (less padding than random batches)", () => {
    const padding = (plan: Int32Array[]) =>
      plan.reduce((s, b) => {
        const ls = Array.from(b, (i) => lengths[i]!);
        return s + Math.max(...ls) * ls.length - ls.reduce((x, y) => x + y, 0);
      }, 0);
    const random = planBatches(lengths, { batchSize: 10, seed: 3 });
    const bucketed = planBatches(lengths, { batchSize: 10, seed: 3, bucketing: { windowBatches: 100 } });
    expect(padding(bucketed)).toBeLessThan(padding(random) / 4);
    const seen = bucketed.flatMap((b) => Array.from(b)).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });
});

describe("iterateBatches", () => {
  const tiny: TokenizedDataset = {
    task: "regression",
    ids: [Int32Array.of(101, 5, 102), Int32Array.of(101, 102), Int32Array.of(101, 6, 7, 8, 102)],
    tokenTypeIds: [Int32Array.of(0, 0, 0), Int32Array.of(0, 0), Int32Array.of(0, 0, 0, 1, 1)],
    lengths: Int32Array.of(3, 2, 5),
    labels: Float32Array.of(0.5, 1.5, 2.5),
    padId: 0,
    maxLength: 8,
    numTruncated: 0,
  };

  it("collates rows with float32 labels for regression", () => {
    const b = collateRows(tiny, Int32Array.of(2, 0), "longest");
    expect(b.inputIds.shape).toEqual([2, 5]);
    expect(Array.from(b.inputIds.data)).toEqual([101, 6, 7, 8, 102, 101, 5, 102, 0, 0]);
    expect(Array.from(b.tokenTypeIds.data)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(b.labels?.dtype).toBe("float32");
    expect(Array.from(b.labels!.data)).toEqual([2.5, 0.5]);
    expect(collateRows(tiny, Int32Array.of(1), { buckets: [4] }).inputIds.shape).toEqual([1, 4]);
    expect(collateRows(tiny, Int32Array.of(2), "max_length").inputIds.shape).toEqual([1, 8]);
  });

  it("SST-2 dev: int32 labels, few shapes with bucket padding", async () => {
    const tok = await loadTokenizer(join(SHARED, "tokenizers", "bert-base-uncased"));
    const ds = await loadDataset(
      {
        format: "tsv",
        columns: { text: "sentence", label: "label" },
        labels: ["0", "1"],
        splits: { validation: join(SHARED, "data", "sst2", "dev.tsv") },
      },
      {},
    );
    const tokenized = tokenizeDataset(ds.validation!, tok, { maxLength: 64 });
    expect(tokenized.lengths[0]).toBe(tok.encode(ds.validation!.texts[0]!).ids.length);
    const shapes = new Set<string>();
    let rows = 0;
    for (const b of iterateBatches(tokenized, {
      batchSize: 32,
      seed: 1,
      bucketing: { windowBatches: 10 },
      padding: { buckets: [16, 32, 48] },
    })) {
      shapes.add(b.inputIds.shape.join("x").replace(/^\d+x/, ""));
      expect(b.labels?.dtype).toBe("int32");
      expect(b.labels?.shape).toEqual([b.indices.length]);
      for (let r = 0; r < b.indices.length; r++) {
        expect(b.labels!.data[r]).toBe(ds.validation!.labels![b.indices[r]!]);
      }
      rows += b.indices.length;
    }
    expect(rows).toBe(872);
    expect([...shapes].every((s) => ["16", "32", "48", "64"].includes(s))).toBe(true);
  });
});
