import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { readModelWeights } from "./model-weights.js";
import { readSafetensorsFile, writeSafetensorsFile } from "./safetensors-file.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const BIN_FOLDER = join(FIXTURES, "bert-tiny-bin");
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-weights-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reference() {
  return (await readSafetensorsFile(join(FIXTURES, "bert-tiny-reference.safetensors"))).tensors;
}

async function rejection(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isTunekitError(e)) throw new Error(`expected a TunekitError, got ${String(e)}`);
  return e;
}

describe("readModelWeights", () => {
  it("reads a folder with only pytorch_model.bin, and loadBertCheckpoint builds the model from it", async () => {
    const { tensors, file, files } = await readModelWeights(BIN_FOLDER);
    expect(file).toBe("pytorch_model.bin");
    expect(files).toEqual([join(BIN_FOLDER, "pytorch_model.bin")]);
    const ref = await reference();
    expect([...tensors.keys()]).toEqual([...ref.keys()]);
    for (const [name, t] of ref) expect(tensors.get(name)?.data, name).toEqual(t.data);

    const { model, report } = await loadBertCheckpoint(BIN_FOLDER, { task: "sequence-classification" });
    expect(report.initialized).toEqual([]);
    expect(report.ignored).toEqual(["bert.embeddings.position_ids"]);
    const classifier = model.namedParameters().find(([n]) => n === "classifier.weight")![1];
    expect(classifier.value.data).toEqual(ref.get("classifier.weight")!.data);
  });

  it("reads a sharded pytorch_model.bin.index.json: every tensor from its shard", async () => {
    const { tensors, file, files } = await readModelWeights(join(FIXTURES, "bert-tiny-sharded"));
    expect(file).toBe("pytorch_model.bin.index.json");
    expect(files).toHaveLength(2);
    const ref = await reference();
    expect(new Set(tensors.keys())).toEqual(new Set(ref.keys()));
    for (const [name, t] of ref) expect(tensors.get(name)?.data, name).toEqual(t.data);
  });

  it("prefers model.safetensors when both exist; reads sharded safetensors too", async () => {
    const both = join(dir, "both");
    await rm(both, { recursive: true, force: true });
    await mkdir(both);
    await copyFile(join(BIN_FOLDER, "pytorch_model.bin"), join(both, "pytorch_model.bin"));
    const ref = await reference();
    await writeSafetensorsFile(join(both, "model.safetensors"), ref);
    expect((await readModelWeights(both)).file).toBe("model.safetensors");

    const sharded = join(dir, "st-sharded");
    await mkdir(sharded, { recursive: true });
    const names = [...ref.keys()];
    const weightMap: Record<string, string> = {};
    for (const [i, part] of [names.slice(0, 10), names.slice(10)].entries()) {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensorsFile(join(sharded, shard), new Map(part.map((n) => [n, ref.get(n)!])));
      for (const n of part) weightMap[n] = shard;
    }
    await writeFile(join(sharded, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    const read = await readModelWeights(sharded);
    expect(read.file).toBe("model.safetensors.index.json");
    expect(read.tensors.size).toBe(ref.size);
  });

  it("errors name the folder, the index entry or the shard", async () => {
    const none = await rejection(readModelWeights(dir));
    expect(none.code).toBe("IO_ERROR");
    expect(none.message).toBe(
      `${dir} holds no model weights: expected one of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json (a Hugging Face model folder, e.g. saved with save_pretrained)`,
    );
    const bad = join(dir, "bad-index");
    await mkdir(bad, { recursive: true });
    const index = join(bad, "pytorch_model.bin.index.json");
    await writeFile(index, JSON.stringify({ weight_map: { w: "../../etc/passwd" } }));
    const outside = await rejection(readModelWeights(bad));
    expect(outside.code).toBe("CHECKPOINT_INVALID");
    expect(outside.message).toBe(
      `${index}: weight_map["w"] is "../../etc/passwd"; expected the name of a shard file in the same folder`,
    );
    await copyFile(join(BIN_FOLDER, "pytorch_model.bin"), join(bad, "shard.bin"));
    await writeFile(index, JSON.stringify({ weight_map: { "not.in.shard": "shard.bin" } }));
    expect((await rejection(readModelWeights(bad))).message).toBe(
      `${index}: tensor "not.in.shard" is mapped to shard.bin, which does not hold it (42 tensors)`,
    );
    await writeFile(index, "[]");
    expect((await rejection(readModelWeights(bad))).message).toContain(
      'expected an object with "weight_map"',
    );
  });
});
