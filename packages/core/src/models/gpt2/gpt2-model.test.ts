import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TunekitError } from "../../errors.js";
import { Graph } from "../../ir/graph.js";
import { readSafetensorsFile } from "../../io/safetensors-file.js";
import { stateDict } from "../../modules/state-dict.js";
import { hostTensor } from "../../tensor/host-tensor.js";
import { countingRows, fitLosses } from "../../testing/causal-lm-fit.js";
import { loadCausalLmCheckpoint } from "../causal-lm-checkpoint.js";
import { loadGpt2Checkpoint, loadGpt2Weights, saveGpt2Checkpoint } from "./gpt2-checkpoint.js";
import { parseGpt2Config } from "./gpt2-config.js";
import { Conv1D } from "./gpt2-layers.js";
import { Gpt2LMHeadModel } from "./gpt2-model.js";

const TINY = {
  model_type: "gpt2",
  vocab_size: 20,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  n_positions: 12,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
  eos_token_id: 2,
};

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-gpt2-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("GPT-2 checkpoints", () => {
  it("save writes Conv1D weights [in, out] under Hugging Face names; load gives the same model back", async () => {
    const model = new Gpt2LMHeadModel(parseGpt2Config(TINY), { seed: 3 });
    expect(model.getSubmodule("transformer.h.0.attn.c_attn")).toBeInstanceOf(Conv1D);
    const folder = join(dir, "roundtrip");
    await saveGpt2Checkpoint(model, folder);
    const { tensors } = await readSafetensorsFile(join(folder, "model.safetensors"));
    expect(tensors.get("transformer.h.0.attn.c_attn.weight")!.shape).toEqual([16, 48]);
    expect(tensors.get("transformer.h.1.mlp.c_fc.weight")!.shape).toEqual([16, 64]);
    expect(tensors.get("transformer.h.1.mlp.c_proj.weight")!.shape).toEqual([64, 16]);
    expect(tensors.has("lm_head.weight")).toBe(false);
    // [in, out] element (i, o) is tunekit's [out, in] element (o, i)
    const ours = model.getParameter("transformer.h.0.attn.c_attn.weight").value.data;
    const hf = tensors.get("transformer.h.0.attn.c_attn.weight")!.data;
    expect(hf[3 * 48 + 40]).toBe(ours[40 * 16 + 3]);
    const { model: back } = await loadCausalLmCheckpoint(folder);
    expect(back).toBeInstanceOf(Gpt2LMHeadModel);
    const want = stateDict(model);
    for (const [name, value] of Object.entries(stateDict(back))) expect(value.data).toEqual(want[name]!.data);
  });

  it("accepts a bare GPT2Model's keys, ignores mask buffers and a tied lm_head, reports mismatches in HF layout", () => {
    const model = new Gpt2LMHeadModel(parseGpt2Config(TINY));
    const tensors: Record<string, ReturnType<typeof hostTensor>> = {};
    const source = new Gpt2LMHeadModel(parseGpt2Config(TINY), { seed: 9 });
    for (const [name, value] of Object.entries(stateDict(source))) {
      const hfShape = /c_(attn|proj|fc)\.weight$/.test(name)
        ? [value.shape[1]!, value.shape[0]!]
        : value.shape;
      tensors[name.replace(/^transformer\./, "")] = hostTensor(
        "float32",
        hfShape,
        value.data as Float32Array,
      );
    }
    tensors["h.0.attn.bias"] = hostTensor("float32", [1, 1, 12, 12]);
    tensors["lm_head.weight"] = tensors["wte.weight"]!;
    const report = loadGpt2Weights(model, tensors);
    expect(report.ignored.sort()).toEqual(["h.0.attn.bias", "lm_head.weight"]);
    expect(report.loaded).toHaveLength(model.parameters().length);

    tensors["h.1.mlp.c_fc.weight"] = hostTensor("float32", [64, 16]); // Linear layout: wrong for Conv1D
    try {
      loadGpt2Weights(model, tensors);
      expect.fail("loaded");
    } catch (e) {
      expect((e as TunekitError).code).toBe("CHECKPOINT_MISMATCH");
      expect((e as Error).message).toContain(
        "h.1.mlp.c_fc.weight: checkpoint has float32[64, 16], model expects float32[16, 64]",
      );
    }
  });

  it("refuses a config far larger than its weights before allocating", async () => {
    const model = new Gpt2LMHeadModel(parseGpt2Config(TINY));
    const folder = join(dir, "small");
    await saveGpt2Checkpoint(model, folder);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      join(folder, "config.json"),
      JSON.stringify({ ...TINY, n_embd: 4096, n_head: 32, n_layer: 24 }),
    );
    await expect(loadGpt2Checkpoint(folder)).rejects.toMatchObject({ code: "CHECKPOINT_MISMATCH" });
  });
});

describe("Gpt2LMHeadModel", () => {
  it("refuses sequences longer than n_positions", () => {
    const model = new Gpt2LMHeadModel(parseGpt2Config(TINY));
    const g = new Graph();
    expect(() => model.forward({ inputIds: g.input("ids", "int32", [1, 13]) })).toThrow(/n_positions \(12\)/);
  });

  it("trains through the generic Trainer (forwardBatch): the causal-LM loss falls on a learnable task", async () => {
    const model = new Gpt2LMHeadModel(parseGpt2Config(TINY), { seed: 4 });
    const { result, losses } = await fitLosses(model, countingRows(16, 3), { epochs: 8, lr: 3e-2 });
    expect(result.step).toBe(16);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
  });
});
