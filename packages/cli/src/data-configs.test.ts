import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTokenizer } from "@tunekit/core";
import { subsetDataset } from "@tunekit/core/data";
import { describe, expect, it } from "vitest";
import { parseTrainConfig } from "./config/train-config.js";
import { loadDataSpec, resolveTask } from "./setup/data-setup.js";
import { tokenizeSplit } from "./setup/pipeline.js";

// Every data set config in examples/data/ (one per labelled data set in ../shared/data)
// loads through the CLI's own config path: a train config whose data.config names it.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const EXAMPLES = join(REPO, "examples");

describe("examples/data/*.json load through the CLI config path", async () => {
  const files = (await readdir(join(EXAMPLES, "data"))).filter((f) => f.endsWith(".json")).sort();
  const tokenizer = await loadTokenizer(join(REPO, "../shared/tokenizers/bert-base-uncased"));

  it("covers the shared data sets", () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    it(file, async () => {
      const config = parseTrainConfig(
        {
          model: { random: { layers: 1, hidden: 8, heads: 2 } },
          tokenizer: "../../shared/tokenizers/bert-base-uncased",
          data: { config: `data/${file}`, baseDir: ".." },
          training: { epochs: 1 },
          output: "runs/unused",
        },
        { source: `train-${file}`, configDir: EXAMPLES, cwd: REPO },
      );
      const { splits } = await loadDataSpec(config.data);
      const task = resolveTask(undefined, splits);
      expect(task).toBe(file === "stsb.json" ? "regression" : "sequence-classification");
      const labelled = (["train", "validation", "test"] as const).filter(
        (s) => splits[s]?.labels !== undefined,
      );
      expect(labelled.length, "labelled splits").toBeGreaterThan(0);
      for (const s of labelled) {
        const ds = splits[s]!;
        expect(ds.texts.length).toBeGreaterThan(0);
        expect(ds.labels!.length).toBe(ds.texts.length);
        if (task === "regression") {
          for (const y of ds.labels!) expect(y >= 0 && y <= 5).toBe(true);
        } else {
          expect(splits.labelNames.length).toBeGreaterThanOrEqual(2);
          const seen = new Set(ds.labels!);
          for (const y of seen) expect(y >= 0 && y < splits.labelNames.length).toBe(true);
        }
        const head = subsetDataset(
          ds,
          Int32Array.from({ length: Math.min(20, ds.texts.length) }, (_, i) => i),
          s,
        );
        const tok = tokenizeSplit(head, tokenizer, 64);
        for (const n of tok.lengths) expect(n >= 3 && n <= 64).toBe(true);
        expect(tok.ids[0]![0]).toBe(101); // [CLS]
      }
    });
  }
});
