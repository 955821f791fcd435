import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../../errors.js";
import { parseBertConfig } from "../../io/bert-config.js";
import { readSafetensorsHeader } from "../../io/safetensors.js";
import { readSafetensorsFile, writeSafetensorsFile } from "../../io/safetensors-file.js";
import { stateDict } from "../../modules/state-dict.js";
import { type HostTensor, hostTensor } from "../../tensor/host-tensor.js";
import { parityFixtureFolders } from "../../testing/parity-fixtures.js";
import { BertForSequenceClassification } from "./bert-heads.js";
import { BertModel } from "./bert-model.js";
import { TINY_CONFIG } from "./config.test-helpers.js";
import { loadBertCheckpoint, saveBertCheckpoint } from "./checkpoint.js";

const FIXTURE = parityFixtureFolders("../shared/reference/bert-tiny-parity")[0]!;
const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tunekit-bert-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Writes a checkpoint folder with the given tensors and the tiny config. */
async function writeFolder(
  tensors: Record<string, HostTensor>,
  config: object = TINY_CONFIG,
): Promise<string> {
  const d = await tmp();
  await writeFile(join(d, "config.json"), JSON.stringify(config));
  await writeSafetensorsFile(join(d, "model.safetensors"), tensors);
  return d;
}

async function expectMismatch(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTunekitError(err, "CHECKPOINT_MISMATCH")).toBe(true);
  for (const re of patterns) expect((err as Error).message).toMatch(re);
}

describe("loadBertCheckpoint / saveBertCheckpoint", () => {
  it("loads the shared fixture for every task and reports what it did", async () => {
    const seq = await loadBertCheckpoint(FIXTURE, { task: "sequence-classification" });
    const { tensors } = await readSafetensorsFile(join(FIXTURE, "model.safetensors"));
    expect(seq.report.initialized).toEqual([]);
    expect(seq.report.ignored).toEqual([]);
    expect(seq.report.loaded).toHaveLength(tensors.size);
    const w = "bert.encoder.layer.1.attention.self.value.weight";
    expect(seq.model.getParameter(w).value.data).toEqual(tensors.get(w)!.data);

    const tok = await loadBertCheckpoint(FIXTURE, { task: "token-classification" });
    expect(tok.report.ignored).toEqual(["bert.pooler.dense.bias", "bert.pooler.dense.weight"].sort());
    expect(tok.report.initialized).toEqual([]);

    const base = await loadBertCheckpoint(FIXTURE, { task: "base" });
    expect(base.report.ignored.sort()).toEqual(["classifier.bias", "classifier.weight"]);
    expect(base.model.getParameter("embeddings.LayerNorm.bias").value.data).toEqual(
      tensors.get("bert.embeddings.LayerNorm.bias")!.data,
    );
  });

  it("a fresh classification head is the one allowed (reported) exception", async () => {
    await expectMismatch(
      loadBertCheckpoint(FIXTURE, { task: "sequence-classification", numLabels: 5 }),
      /shape mismatch \(2\)/,
      /classifier\.weight: checkpoint has float32\[3, 32\], model expects float32\[5, 32\]/,
      /reinitializeHead/,
    );
    const fresh = await loadBertCheckpoint(FIXTURE, {
      task: "sequence-classification",
      numLabels: 5,
      reinitializeHead: true,
    });
    expect(fresh.report.initialized).toEqual(["classifier.weight", "classifier.bias"]);
    expect(fresh.report.ignored.sort()).toEqual(["classifier.bias", "classifier.weight"]);
    expect(fresh.model.getParameter("classifier.weight").shape).toEqual([5, 32]);
  });

  it("accepts keys without the bert. prefix, legacy gamma/beta, and ignores pre-training heads", async () => {
    const config = parseBertConfig(TINY_CONFIG);
    const base = new BertModel(config, { seed: 9 });
    const tensors: Record<string, HostTensor> = { ...stateDict(base) };
    tensors["embeddings.LayerNorm.gamma"] = tensors["embeddings.LayerNorm.weight"]!;
    delete tensors["embeddings.LayerNorm.weight"];
    tensors["cls.predictions.bias"] = hostTensor("float32", [30]);
    tensors["embeddings.position_ids"] = hostTensor("int32", [1, 12]);
    const d = await writeFolder(tensors);
    const { model, report } = await loadBertCheckpoint(d, { task: "sequence-classification" });
    expect(report.initialized).toEqual(["classifier.weight", "classifier.bias"]);
    expect(report.ignored.sort()).toEqual(["cls.predictions.bias", "embeddings.position_ids"]);
    expect(model.getParameter("bert.embeddings.LayerNorm.weight").value.data).toEqual(
      base.getParameter("embeddings.LayerNorm.weight").value.data,
    );
    expect(model.getParameter("bert.pooler.dense.weight").value.data).toEqual(
      base.getParameter("pooler.dense.weight").value.data,
    );
  });

  it("missing keys, unexpected keys and shape mismatches are errors listing names and shapes", async () => {
    const config = parseBertConfig(TINY_CONFIG);
    const good = stateDict(new BertForSequenceClassification(config));
    const tensors: Record<string, HostTensor> = { ...good };
    delete tensors["bert.encoder.layer.1.output.dense.weight"];
    tensors["bert.encoder.layer.0.intermediate.dense.bias"] = hostTensor("float32", [17]);
    tensors["bert.encoder.layer.9.output.dense.bias"] = hostTensor("float32", [8]);
    const d = await writeFolder(tensors);
    const before = new BertForSequenceClassification(config);
    await expectMismatch(
      loadBertCheckpoint(d, { task: "sequence-classification" }),
      /missing \(1\):\n\s+bert\.encoder\.layer\.1\.output\.dense\.weight float32\[8, 16\]/,
      /unexpected \(1\):\n\s+bert\.encoder\.layer\.9\.output\.dense\.bias float32\[8\]/,
      /bert\.encoder\.layer\.0\.intermediate\.dense\.bias: checkpoint has float32\[17\], model expects float32\[16\]/,
    );
    expect(before.parameters()).toHaveLength(Object.keys(good).length);
  });

  it("round-trips through saveBertCheckpoint (config.json + model.safetensors with HF names)", async () => {
    const config = parseBertConfig({ ...TINY_CONFIG, hidden_act: "gelu_new" });
    const model = new BertForSequenceClassification(config, { seed: 5 });
    const d = await tmp();
    await saveBertCheckpoint(model, join(d, "out"));
    const json = JSON.parse(await readFile(join(d, "out", "config.json"), "utf8"));
    expect(json.architectures).toEqual(["BertForSequenceClassification"]);
    expect(json.id2label).toEqual({ "0": "neg", "1": "pos" });
    expect(json.hidden_act).toBe("gelu_new");
    const { tensors } = await readSafetensorsFile(join(d, "out", "model.safetensors"));
    expect([...tensors.keys()].sort()).toEqual(
      model
        .namedParameters()
        .map(([n]) => n)
        .sort(),
    );
    const again = await loadBertCheckpoint(join(d, "out"), { task: "sequence-classification" });
    expect(again.config.hiddenAct).toBe("gelu_new");
    expect(again.report.initialized).toEqual([]);
    for (const [n, p] of model.namedParameters()) {
      expect(again.model.getParameter(n).value.data).toEqual(p.value.data);
    }
  });

  it("NaN / Infinity weights are refused at load, naming the file, the tensor and the index", async () => {
    const model = new BertForSequenceClassification(parseBertConfig(TINY_CONFIG), { seed: 5 });
    const tensors = stateDict(model);
    const bad = tensors["bert.encoder.layer.1.output.dense.weight"]!;
    (bad.data as Float32Array)[7] = Number.NaN;
    const d = await writeFolder(tensors);
    const err = await loadBertCheckpoint(d, { task: "sequence-classification" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTunekitError(err, "CHECKPOINT_INVALID")).toBe(true);
    expect((err as Error).message).toContain(
      'model.safetensors: tensor "bert.encoder.layer.1.output.dense.weight" holds NaN at index 7',
    );
  });

  it("saves float16 weights on request: half the bytes, torch_dtype float16, values within 2^-11", async () => {
    const config = parseBertConfig(TINY_CONFIG);
    const model = new BertForSequenceClassification(config, { seed: 6 });
    const d = await tmp();
    await saveBertCheckpoint(model, join(d, "f32"));
    await saveBertCheckpoint(model, join(d, "f16"), { dtype: "float16" });
    const dataBytes = async (sub: string): Promise<number> => {
      const bytes = new Uint8Array(await readFile(join(d, sub, "model.safetensors")));
      const { entries, dataStart } = readSafetensorsHeader(bytes);
      if (sub === "f16") expect(new Set(entries.map((e) => e.dtype))).toEqual(new Set(["F16"]));
      return bytes.byteLength - dataStart;
    };
    expect(await dataBytes("f16")).toBe((await dataBytes("f32")) / 2);
    const json = JSON.parse(await readFile(join(d, "f16", "config.json"), "utf8"));
    expect(json.torch_dtype).toBe("float16");
    const again = await loadBertCheckpoint(join(d, "f16"), { task: "sequence-classification" });
    let worst = 0;
    for (const [n, p] of model.namedParameters()) {
      const got = again.model.getParameter(n).value.data;
      p.value.data.forEach((v, i) => {
        // relative 2^-11 for normals; absolute 2^-25 (half the smallest subnormal step) near zero
        worst = Math.max(worst, Math.abs(got[i]! - v) / Math.max(Math.abs(v), 2 ** -14));
      });
    }
    expect(worst).toBeGreaterThan(0); // it really rounded
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    await expect(saveBertCheckpoint(model, join(d, "bad"), { dtype: "int8" as "float16" })).rejects.toThrow(
      /dtype must be "float32" or "float16", got "int8"/,
    );
  });
});
