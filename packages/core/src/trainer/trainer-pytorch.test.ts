import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import type { TokenizedDataset } from "../data/batching.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { adamw } from "../optim/adamw.js";
import type { StepInfo } from "./trainer-callbacks.js";
import { Trainer } from "./trainer.js";

// fixtures/trainer-reference.safetensors comes from fixtures/make_trainer_reference.py
// (PyTorch, float64): 4 full-batch updates of the parity fixture's BERT with AdamW (HF decay
// groups), clip_grad_norm_(0.5) and the HF linear schedule with 1 warm-up step.
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const PARITY = process.env.TUNEKIT_SHARED_DIR
  ? join(process.env.TUNEKIT_SHARED_DIR, "reference", "bert-tiny-parity")
  : join(REPO_ROOT, "..", "shared", "reference", "bert-tiny-parity");
const FIXTURE = fileURLToPath(new URL("./fixtures/trainer-reference.safetensors", import.meta.url));

describe("Trainer against PyTorch (AdamW + HF linear warm-up schedule + clipping, dropout off)", () => {
  it("per-update loss and gradient norm, weights after 4 updates and the final loss match", async () => {
    const { model } = await loadBertCheckpoint(PARITY, { task: "sequence-classification" });
    const batch = (await readSafetensorsFile(join(PARITY, "reference.safetensors"))).tensors;
    const want = (await readSafetensorsFile(FIXTURE)).tensors;
    const ids = batch.get("input_ids")!;
    const [b, s] = ids.shape as [number, number];
    const mask = batch.get("attention_mask")!.data;
    const rows = Array.from({ length: b }, (_, i) => {
      let n = 0;
      while (n < s && mask[i * s + n] === 1) n++;
      return n;
    });
    // right-padded rows back to unpadded token lists: the Trainer pads them again
    const cut = (name: string) =>
      rows.map((n, i) => Int32Array.from(batch.get(name)!.data.subarray(i * s, i * s + n)));
    const data: TokenizedDataset = {
      task: "classification",
      ids: cut("input_ids"),
      tokenTypeIds: cut("token_type_ids"),
      lengths: Int32Array.from(rows),
      labels: Int32Array.from(batch.get("labels")!.data),
      padId: 0,
      maxLength: s,
      numTruncated: 0,
    };
    const steps: StepInfo[] = [];
    const trainer = new Trainer({
      model,
      backend: createReferenceBackend(),
      batchSize: b, // the whole batch each update: the shuffled row order does not change the mean loss
      maxSteps: 4,
      lr: 1e-2,
      schedule: "linear",
      warmupSteps: 1,
      clipNorm: 0.5,
      optimizer: adamw({ weightDecay: 0.01, decayFilter: "hf" }),
      dropout: false,
      callbacks: [{ onStep: (info) => void steps.push(info) }],
    });
    await trainer.fit(data);
    expect(steps.map((x) => x.lr)).toEqual([0, 1e-2, (2 / 3) * 1e-2, (1 / 3) * 1e-2]);
    const losses = want.get("step_loss")!.data;
    const norms = want.get("step_grad_norm")!.data;
    steps.forEach((x, i) => {
      expect(Math.abs(x.loss - losses[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(x.gradNorm! - norms[i]!)).toBeLessThan(1e-5);
    });
    let maxErr = 0;
    for (const [name, p] of model.namedParameters()) {
      const ref = want.get(`param.${name}`)!.data;
      for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(p.value.data[i]! - ref[i]!));
    }
    expect(maxErr).toBeLessThan(1e-5);
    const final = await trainer.evaluate(data);
    expect(Math.abs(final.loss - want.get("final_loss")!.data[0]!)).toBeLessThan(1e-5);
  });
});
