import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createReferenceBackend,
  loadBertCheckpoint,
  readSafetensorsFile,
  saveBertCheckpoint,
} from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { ia3 } from "./ia3/ia3.js";
import { lora } from "./lora/lora.js";
import type { LoraLinear } from "./lora/lora-linear.js";
import {
  checkMerge,
  maxOutputDifference,
  mergeAdapter,
  mergeAndUnload,
  probeOutput,
  unmergeAdapter,
} from "./merge.js";
import { maxAbsDiff, probeBatch, randomizeParameters, tinyBert } from "./testing/tiny-bert.js";

const backend = createReferenceBackend();
const Q = "bert.encoder.layer.1.attention.self.query";

const cases = [
  ["LoRA", () => lora({ r: 4, alpha: 8, targetModules: ["query", "value", "dense"] }), /lora_B/],
  ["rsLoRA", () => lora({ r: 4, alpha: 8, useRslora: true }), /lora_B/],
  [
    "DoRA",
    () => lora({ r: 2, alpha: 4, useDora: true, targetModules: ["query", "key", "dense"] }),
    /lora_B|lora_magnitude/,
  ],
  ["IA3", () => ia3(), /ia3_l/],
] as const;

describe("mergeAdapter / unmergeAdapter / mergeAndUnload", () => {
  for (const [name, make, pattern] of cases) {
    it(`${name}: merged outputs equal the adapter's (max abs diff < 1e-5); unmerge restores exactly`, async () => {
      const base = tinyBert();
      const baseValues = base.parameters().map((p) => p.value);
      const adapted = make().apply(base);
      randomizeParameters(adapted, pattern, 11, 0.5);
      const batch = probeBatch();
      const before = await probeOutput(adapted, backend, batch);
      expect(maxAbsDiff(before, await probeOutput(base, backend, batch))).toBeGreaterThan(1e-4);
      const paths = mergeAdapter(adapted);
      expect(paths.length).toBeGreaterThan(0);
      const merged = await probeOutput(adapted, backend, batch);
      const diff = maxAbsDiff(merged, before);
      console.info(`${name}: max |merged − unmerged| logits on the probe batch = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-5);
      unmergeAdapter(adapted);
      expect(maxAbsDiff(await probeOutput(adapted, backend, batch), before)).toBe(0);
      // the base model's values were never touched
      base.parameters().forEach((p, i) => {
        expect(p.value).toBe(baseValues[i]);
      });
      const check = await checkMerge(adapted, backend, batch);
      expect(check.maxAbsDifference).toBe(diff);
      expect(check.mergedPaths).toEqual(paths);
      expect(maxAbsDiff(await probeOutput(adapted, backend, batch), before)).toBe(0); // left unmerged
      const plain = mergeAndUnload(adapted);
      expect(plain.namedParameters().some(([n]) => /lora|ia3/.test(n))).toBe(false);
      expect(await maxOutputDifference(plain, adapted, backend, batch)).toBeLessThan(1e-5);
    });
  }

  it("LoRA merge is W + scale·B·A (hand-checked element)", () => {
    const adapted = lora({ r: 2, alpha: 6 }).apply(tinyBert());
    randomizeParameters(adapted, /lora_B/, 2, 1);
    const layer = adapted.getSubmodule(Q) as LoraLinear;
    const w = layer.baseWeight.value.data;
    const a = layer.loraA.value.data;
    const b = layer.loraB.value.data;
    const merged = layer.merge().value.data;
    const [o, i] = [3, 5];
    const expected = w[o * 8 + i]! + 3 * (b[o * 2]! * a[i]! + b[o * 2 + 1]! * a[8 + i]!);
    expect(merged[o * 8 + i]).toBeCloseTo(expected, 6);
    expect(layer.param("weight") === layer.baseWeight).toBe(false);
    layer.unmerge();
    expect(layer.param("weight")).toBe(layer.baseWeight);
  });

  it("a merged model saves as a plain Hugging Face checkpoint (no adapter keys) that reloads to the same logits", async () => {
    const adapted = lora({ r: 4, alpha: 8 }).apply(tinyBert());
    randomizeParameters(adapted, /lora_B|classifier/, 4, 0.5);
    const plain = mergeAndUnload(adapted);
    const dir = await mkdtemp(join(tmpdir(), "tunekit-merged-"));
    await saveBertCheckpoint(plain, dir);
    const { tensors } = await readSafetensorsFile(join(dir, "model.safetensors"));
    expect([...tensors.keys()].filter((k) => /lora|base_model/.test(k))).toEqual([]);
    expect(tensors.size).toBe(tinyBert().parameters().length);
    const { model: reloaded } = await loadBertCheckpoint(dir, { task: "sequence-classification" });
    const batch = probeBatch();
    expect(await maxOutputDifference(reloaded, adapted, backend, batch)).toBeLessThan(1e-5);
  });
});
