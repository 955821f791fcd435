import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTensor, readSafetensorsFile } from "@tunekit/core";
import { writeSafetensors } from "@tunekit/core/io";
import { afterAll, describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { adapterFusion } from "./adapter-composition.js";
import { loadBottleneckAdapter, saveBottleneckAdapter } from "./adapter-file.js";
import { houlsbyAdapter, pfeifferAdapter } from "./bottleneck-strategies.js";
import { loadAdapterFusion, saveAdapterFusion } from "./fusion-file.js";

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-fusion-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("tunekit-fusion/1 files", () => {
  it("two adapters + their fusion saved separately reload to the same logits", async () => {
    const one = pfeifferAdapter({ name: "a", reductionFactor: 2 }).apply(tinyBert(4));
    const two = houlsbyAdapter({ name: "b", reductionFactor: 2 }).apply(one);
    randomizeParameters(two, /adapters\./, 3, 0.5);
    const fused = adapterFusion(["a", "b"]).apply(two);
    randomizeParameters(fused, /adapter_fusion_layer|classifier/, 4, 0.5);
    const [da, db, df] = [await tmp(), await tmp(), await tmp()];
    await saveBottleneckAdapter(fused, da, { name: "a", includeHead: false });
    await saveBottleneckAdapter(fused, db, { name: "b", includeHead: false });
    const { keys } = await saveAdapterFusion(fused, df, { adapters: ["a", "b"] });
    expect(keys).toContain("bert.encoder.layer.0.attention.output.adapter_fusion_layer.a,b.value.weight");
    expect(keys).toContain("classifier.weight");
    let loaded = await loadBottleneckAdapter(tinyBert(4), da);
    loaded = await loadBottleneckAdapter(loaded, db);
    loaded = await loadAdapterFusion(loaded, df);
    const batch = probeBatch();
    expect(Array.from(await logitsOf(loaded, batch))).toEqual(Array.from(await logitsOf(fused, batch)));
    // strict: a mis-shaped fusion tensor is reported with both shapes
    const path = join(df, "adapter_model.safetensors");
    const edited = Object.fromEntries((await readSafetensorsFile(path)).tensors);
    edited["bert.encoder.layer.1.output.adapter_fusion_layer.a,b.key.bias"] = hostTensor("float32", [7]);
    await writeFile(path, writeSafetensors(edited));
    const base = await loadBottleneckAdapter(await loadBottleneckAdapter(tinyBert(4), da), db);
    await expect(loadAdapterFusion(base, df)).rejects.toThrow(
      /adapter_fusion_layer\.a,b\.key\.bias: expected float32\[8\], file has float32\[7\]/,
    );
    await expect(loadAdapterFusion(tinyBert(4), df)).rejects.toThrow(/no adapter named "a", "b"/);
  });
});
