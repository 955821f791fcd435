import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTensor, readSafetensorsFile } from "@tunekit/core";
import { writeSafetensors } from "@tunekit/core/io";
import { afterAll, describe, expect, it } from "vitest";
import { logitsOf } from "../testing/logits.js";
import { probeBatch, randomizeParameters, tinyBert } from "../testing/tiny-bert.js";
import { BOTTLENECK_FORMAT, loadBottleneckAdapter, saveBottleneckAdapter } from "./adapter-file.js";
import { houlsbyAdapter, parallelAdapter, pfeifferAdapter } from "./bottleneck-strategies.js";

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-bottleneck-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const batch = probeBatch();

describe("tunekit-bottleneck/1 adapter files", () => {
  for (const make of [houlsbyAdapter, pfeifferAdapter, parallelAdapter]) {
    it(`${make.name}: save then load into the base model reproduces the logits`, async () => {
      const adapted = make({ name: "sst2", reductionFactor: 4, nonLinearity: "gelu" }).apply(tinyBert(3));
      randomizeParameters(adapted, /adapters\.sst2\.|classifier/, 5, 0.4);
      const dir = await tmp();
      const { keys } = await saveBottleneckAdapter(adapted, dir);
      const loaded = await loadBottleneckAdapter(tinyBert(3), dir);
      expect(Array.from(await logitsOf(loaded, batch))).toEqual(Array.from(await logitsOf(adapted, batch)));
      expect(keys).toContain("bert.encoder.layer.1.output.adapters.sst2.adapter_up.weight");
      expect(keys).toContain("classifier.weight");
      const trained = loaded.namedParameters().filter(([, p]) => p.trainable).length;
      expect(trained).toBe(keys.length);
    });
  }

  it("writes the documented config fields", async () => {
    const adapted = houlsbyAdapter({ name: "task", reductionFactor: 4, trainHead: false }).apply(tinyBert());
    const dir = await tmp();
    const { keys } = await saveBottleneckAdapter(adapted, dir, { baseModelNameOrPath: "tiny" });
    expect(JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"))).toEqual({
      format: BOTTLENECK_FORMAT,
      name: "task",
      architecture: "houlsby",
      reduction_factor: 4,
      bottleneck_size: 2,
      non_linearity: "swish",
      scaling: 1,
      sites: ["attention.output", "output"],
      hidden_size: 8,
      num_layers: 2,
      includes_head: false,
      base_model_name_or_path: "tiny",
    });
    expect(keys.length).toBe(16);
    const { tensors } = await readSafetensorsFile(join(dir, "adapter_model.safetensors"));
    expect(
      tensors.get("bert.encoder.layer.0.attention.output.adapters.task.adapter_down.0.weight")!.shape,
    ).toEqual([2, 8]);
  });

  it("loading is strict: missing, unexpected and mis-shaped tensors are listed with shapes", async () => {
    const adapted = pfeifferAdapter({ name: "a", reductionFactor: 4 }).apply(tinyBert());
    const dir = await tmp();
    await saveBottleneckAdapter(adapted, dir);
    const path = join(dir, "adapter_model.safetensors");
    const { tensors } = await readSafetensorsFile(path);
    const edited = Object.fromEntries(tensors);
    delete edited["bert.encoder.layer.0.output.adapters.a.adapter_up.bias"];
    edited["bert.encoder.layer.0.output.adapters.b.adapter_up.bias"] = hostTensor("float32", [8]);
    edited["bert.encoder.layer.1.output.adapters.a.adapter_down.0.weight"] = hostTensor("float32", [3, 8]);
    await writeFile(path, writeSafetensors(edited));
    const err = await loadBottleneckAdapter(tinyBert(), dir).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /missing \(1\):\n\s+bert\.encoder\.layer\.0\.output\.adapters\.a\.adapter_up\.bias float32\[8\]/,
    );
    expect((err as Error).message).toMatch(
      /unexpected \(1\):\n\s+bert\.encoder\.layer\.0\.output\.adapters\.b\.adapter_up\.bias float32\[8\]/,
    );
    expect((err as Error).message).toMatch(
      /shape mismatch \(1\):\n\s+bert\.encoder\.layer\.1\.output\.adapters\.a\.adapter_down\.0\.weight: expected float32\[2, 8\], file has float32\[3, 8\]/,
    );
  });

  it("rejects configs of another format or another model size", async () => {
    const adapted = pfeifferAdapter({ name: "a", reductionFactor: 4 }).apply(tinyBert());
    const dir = await tmp();
    await saveBottleneckAdapter(adapted, dir);
    const configPath = join(dir, "adapter_config.json");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    await writeFile(configPath, JSON.stringify({ ...config, hidden_size: 16 }));
    await expect(loadBottleneckAdapter(tinyBert(), dir)).rejects.toThrow(
      /saved for hidden_size 16 and 2 layers, but the model has hidden_size 8 and 2 layers/,
    );
    await writeFile(configPath, JSON.stringify({ ...config, format: "peft" }));
    await expect(loadBottleneckAdapter(tinyBert(), dir)).rejects.toThrow(
      /"format" must be "tunekit-bottleneck\/1", got "peft"/,
    );
    await writeFile(configPath, JSON.stringify({ ...config, non_linearity: "elu" }));
    await expect(loadBottleneckAdapter(tinyBert(), dir)).rejects.toThrow(
      /"non_linearity" must be relu, gelu, swish, tanh/,
    );
    // validate, then build: sizes are checked before any weight is allocated (a factor of 1e-6
    // on hidden 8 used to allocate 2 x 8 x 8e6 floats per layer before the config was checked)
    await writeFile(
      configPath,
      JSON.stringify({ ...config, reduction_factor: 1e-6, bottleneck_size: 8_000_000 }),
    );
    await expect(loadBottleneckAdapter(tinyBert(), dir)).rejects.toThrow(
      /adapter_config\.json: adapter reduction_factor 0\.000001 gives a bottleneck of 8000000 for hidden_size 8 .*expected reduction_factor >= 0\.125/,
    );
    await writeFile(configPath, JSON.stringify({ ...config, reduction_factor: 1, bottleneck_size: 2 }));
    await expect(loadBottleneckAdapter(tinyBert(), dir)).rejects.toThrow(
      /bottleneck_size 2 does not follow from hidden_size 8 \/ reduction_factor 1 \(= 8\)/,
    );
    const two = pfeifferAdapter({ name: "b" }).apply(adapted);
    await expect(saveBottleneckAdapter(two, dir)).rejects.toThrow(
      /name which adapter to save; the model has \[a, b\]/,
    );
  });
});
