import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostTensor } from "../tensor/host-tensor.js";
import { readSafetensorsFile, writeSafetensorsFile } from "./safetensors-file.js";

const REFERENCE = join(import.meta.dirname, "../../../../../shared/reference/bert-tiny-parity");

describe("readSafetensorsFile on the bert-tiny reference", () => {
  it("reads model.safetensors (41 F32 tensors, pt metadata)", async () => {
    const { tensors, metadata } = await readSafetensorsFile(join(REFERENCE, "model.safetensors"));
    expect(metadata).toEqual({ format: "pt" });
    expect(tensors.size).toBe(41);
    const emb = tensors.get("bert.embeddings.word_embeddings.weight")!;
    expect(emb.dtype).toBe("float32");
    expect(emb.shape).toEqual([64, 32]);
    expect(emb.data.length).toBe(64 * 32);
    expect(tensors.get("bert.encoder.layer.1.output.dense.weight")!.shape).toEqual([32, 64]);
    expect(tensors.get("classifier.weight")!.shape).toEqual([3, 32]);
    expect(tensors.get("classifier.bias")!.shape).toEqual([3]);
    // exact float32 values, checked with Python's struct module against the file
    expect(tensors.get("bert.embeddings.LayerNorm.weight")!.data[0]).toBe(Math.fround(1.0094492435455322));
    expect(tensors.get("classifier.bias")!.data).toEqual(
      new Float32Array([-0.02828361839056015, 0.030672937631607056, -0.022860057651996613]),
    );
    for (const t of tensors.values()) expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
  });

  it("reads reference.safetensors, converting I64 inputs to int32", async () => {
    const { tensors } = await readSafetensorsFile(join(REFERENCE, "reference.safetensors"), {
      names: ["input_ids", "attention_mask", "labels", "logits"],
    });
    expect(tensors.size).toBe(4);
    const ids = tensors.get("input_ids")!;
    expect(ids.dtype).toBe("int32");
    expect(ids.shape).toEqual([3, 8]);
    expect(Array.from(ids.data.subarray(0, 8))).toEqual([37, 41, 46, 31, 35, 5, 17, 16]);
    expect(ids.data[23]).toBe(5);
    const mask = tensors.get("attention_mask")!;
    expect(mask.dtype).toBe("int32");
    expect(Array.from(mask.data).every((m) => m === 0 || m === 1)).toBe(true);
    const labels = tensors.get("labels")!;
    expect(labels.shape).toEqual([3]);
    expect(labels.data).toEqual(new Int32Array([0, 2, 1]));
    expect(tensors.get("logits")!.shape).toEqual([3, 3]);
  });

  it("reports a missing file as IO_ERROR with the path", async () => {
    await expect(readSafetensorsFile(join(REFERENCE, "nope.safetensors"))).rejects.toMatchObject({
      code: "IO_ERROR",
      message: expect.stringContaining("nope.safetensors"),
    });
  });
});

describe("writeSafetensorsFile", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tunekit-st-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes atomically, overwrites, round-trips and leaves no temporary files", async () => {
    const path = join(dir, "adapter.safetensors");
    await writeSafetensorsFile(path, { a: hostTensor("float32", [2], [1, 2]) });
    await writeSafetensorsFile(path, { b: hostTensor("int32", [1], [5]) }, { step: "10" });
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect([...tensors.keys()]).toEqual(["b"]);
    expect(tensors.get("b")!.data).toEqual(new Int32Array([5]));
    expect(metadata).toEqual({ step: "10" });
    expect(await readdir(dir)).toEqual(["adapter.safetensors"]);
  });

  it("prefixes parse errors with the path and fails cleanly when the folder is missing", async () => {
    const bad = join(dir, "bad.safetensors");
    await writeSafetensorsFile(bad, {});
    const bytes = await readFile(bad);
    expect(bytes.length).toBe(16); // 8-byte prefix + "{}" padded to 8
    await expect(writeSafetensorsFile(join(dir, "missing", "x.safetensors"), {})).rejects.toMatchObject({
      code: "IO_ERROR",
    });
    const { writeFileAtomic } = await import("./atomic-write.js");
    await writeFileAtomic(bad, new Uint8Array([1, 2, 3]));
    await expect(readSafetensorsFile(bad)).rejects.toMatchObject({
      code: "SAFETENSORS_INVALID",
      message: expect.stringContaining(`${bad}: file is 3 bytes`),
    });
  });
});
