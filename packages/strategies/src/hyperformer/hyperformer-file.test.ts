import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { traceForward } from "@tunekit/core/models";
import { describe, expect, it } from "vitest";
import { loadAdapterFolder } from "../adapters/adapter-folder.js";
import { randomizeUnder, taskIds, traceHyper } from "../testing/hyperformer-trace.js";
import { maxAbsDiff, probeBatch, tinyBert } from "../testing/tiny-bert.js";
import { exportHyperFormerTaskAdapter } from "./hyperformer-export.js";
import { HYPERFORMER_FILES, loadHyperFormer, saveHyperFormer } from "./hyperformer-file.js";
import { hyperformer, hyperformerPlusPlus } from "./hyperformer-strategy.js";

const tmp = () => mkdtemp(join(tmpdir(), "tunekit-hyperformer-"));
const options = {
  tasks: ["sst2", "mrpc", "rte"],
  reductionFactor: 4,
  taskEmbeddingDim: 4,
  projectorHiddenDim: 6,
  projectedDim: 5,
};

function trained(variant: "++" | "per-layer" = "++") {
  const model = (variant === "++" ? hyperformerPlusPlus(options) : hyperformer(options)).apply(tinyBert(3));
  randomizeUnder(model, /hypernetwork\.(generators|projector)\..*weight$/, 11, 0.4);
  randomizeUnder(model, /hypernetwork\..*bias$|classifier\./, 12, 0.2);
  return model;
}

function logits(model: ReturnType<typeof trained>, ids: number[]): Float64Array {
  const { graph } = traceHyper(model, ids.length, 5);
  return evaluateGraphFloat64(graph, { ...probeBatch(ids.length, 5, 2), task_ids: taskIds(ids) }).logits!
    .data;
}

describe("HyperFormer files", () => {
  for (const variant of ["++", "per-layer"] as const) {
    it(`${variant}: save then load gives the same model (every task)`, async () => {
      const model = trained(variant);
      const dir = await tmp();
      const { keys } = await saveHyperFormer(model, dir, { baseModelNameOrPath: "tiny" });
      expect(keys).toContain("hypernetwork.task_embeddings.rte");
      expect(keys).toContain("classifier.weight");
      expect(keys.some((k) => k.startsWith("bert.encoder.layer"))).toBe(false);
      const config = JSON.parse(await readFile(join(dir, HYPERFORMER_FILES.config), "utf8"));
      expect(config).toMatchObject({
        format: "tunekit-hyperformer/1",
        variant: variant === "++" ? "hyperformer++" : "hyperformer",
        tasks: ["sst2", "mrpc", "rte"],
        bottleneck_size: 2,
        includes_head: true,
        base_model_name_or_path: "tiny",
      });
      const loaded = await loadHyperFormer(tinyBert(3), dir);
      expect(maxAbsDiff(logits(loaded, [0, 1, 2]), logits(model, [0, 1, 2]))).toBe(0);
      expect(loaded.parameters().filter((p) => p.trainable).length).toBe(keys.length);
    });
  }

  it("loading checks the config and the tensors (typed errors)", async () => {
    const dir = await tmp();
    await saveHyperFormer(trained(), dir);
    const path = join(dir, HYPERFORMER_FILES.config);
    const config = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...config, hidden_size: 16 }));
    await expect(loadHyperFormer(tinyBert(3), dir)).rejects.toThrow(/hidden_size 16 and 2 layers/);
    await writeFile(path, JSON.stringify({ ...config, projected_dim: 1e9 }));
    await expect(loadHyperFormer(tinyBert(3), dir)).rejects.toThrow(
      /"projected_dim" must be a positive integer at most 65536/,
    );
    await writeFile(path, JSON.stringify({ ...config, bottleneck_size: 3 }));
    await expect(loadHyperFormer(tinyBert(3), dir)).rejects.toThrow(/bottleneck_size 3 does not follow/);
    await writeFile(path, JSON.stringify({ ...config, variant: "hyperformer+" }));
    await expect(loadHyperFormer(tinyBert(3), dir)).rejects.toThrow(/"variant" must be/);
    await writeFile(path, JSON.stringify({ ...config, tasks: ["sst2", "mrpc"] }));
    const e = await loadHyperFormer(tinyBert(3), dir).catch((x: unknown) => x);
    expect(isTunekitError(e, "CHECKPOINT_MISMATCH")).toBe(true);
    expect(String(e)).toMatch(/unexpected \(1\):\n\s+hypernetwork\.task_embeddings\.rte/);
  });

  for (const variant of ["++", "per-layer"] as const) {
    it(`${variant}: one task's adapters export as a plain bottleneck folder with the same logits`, async () => {
      const model = trained(variant);
      const dir = await tmp();
      const { keys } = await exportHyperFormerTaskAdapter(model, dir, { task: "mrpc" });
      expect(keys).toContain("bert.encoder.layer.1.attention.output.adapters.mrpc.adapter_norm_after.weight");
      const config = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
      expect(config).toMatchObject({
        format: "tunekit-bottleneck/1",
        name: "mrpc",
        ln_after: true,
        residual_before_ln: false,
      });
      const plain = await loadAdapterFolder(tinyBert(3), dir);
      const { graph } = traceForward(plain, { batchSize: 3, seqLength: 5, labels: true });
      const got = evaluateGraphFloat64(graph, probeBatch(3, 5, 2)).logits!.data;
      const want = logits(model, [1, 1, 1]);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got, logits(model, [0, 0, 0]))).toBeGreaterThan(1e-3);
    });
  }

  it("export refuses an unknown task", async () => {
    await expect(exportHyperFormerTaskAdapter(trained(), await tmp(), { task: "qnli" })).rejects.toThrow(
      /no task "qnli"; the hypernetwork has \[sst2, mrpc, rte\]/,
    );
  });
});
