import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { setTrainable } from "../modules/trainable.js";
import { assignWeights } from "./assign-weights.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";
import { BertForSequenceClassification } from "../models/bert/bert-heads.js";
import { tinyTrainerConfig, toyData, toyModel } from "../testing/trainer-fixtures.js";

const backend = createReferenceBackend();
const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-trainer-"));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const weights = (m: ReturnType<typeof toyModel>) =>
  new Map(m.namedParameters().map(([n, p]) => [n, Float32Array.from(p.value.data)]));

describe("Trainer checkpoints", () => {
  it("keeps the last K plus the best; the best checkpoint holds the weights of the best evaluation", async () => {
    const dir = await tempDir();
    const model = toyModel("classification", 1);
    const val = toyData(16, 2, "classification");
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      maxSteps: 6,
      lr: 3e-3,
      seed: 1,
      evaluation: { everySteps: 1 },
      // "best" = highest loss, i.e. the first evaluation: so the best is not among the last K
      metricForBest: "loss",
      bestMode: "max",
      checkpoints: { dir, keepLast: 2, everySteps: 1 },
      loadBestAtEnd: true,
    });
    const result = await trainer.fit(toyData(32, 1, "classification"), { evalData: val });
    const losses = result.evaluations.map((e) => e.loss);
    expect(losses).toHaveLength(6);
    const bestIndex = losses.indexOf(Math.max(...losses));
    expect(result.best).toEqual({ metric: "loss", value: losses[bestIndex], step: bestIndex + 1 });
    expect(result.bestCheckpoint).toBe(join(dir, `checkpoint-${bestIndex + 1}`));
    // loadBestAtEnd: the model holds the best weights again
    expect(result.loadedBest).toBe(true);
    expect((await trainer.evaluate(val)).loss).toBe(losses[bestIndex]);
    const kept = (await readdir(dir)).sort();
    expect(kept).toEqual(
      [...new Set([`checkpoint-${bestIndex + 1}`, "checkpoint-5", "checkpoint-6"])].sort(),
    );
    // loading the best checkpoint's weights reproduces the best evaluation exactly
    const ckpt = await loadTrainingCheckpoint(result.bestCheckpoint!);
    expect(ckpt.state.step).toBe(bestIndex + 1);
    const fresh = toyModel("classification", 99);
    assignWeights(fresh, ckpt.model, "best");
    const again = await new Trainer({ model: fresh, backend, batchSize: 8, maxSteps: 1 }).evaluate(val);
    expect(again.loss).toBe(losses[bestIndex]);
    // the folder also holds config.json and the trainable weights
    const config = JSON.parse(await readFile(join(result.bestCheckpoint!, "config.json"), "utf8"));
    expect(config.architectures).toEqual(["BertForSequenceClassification"]);
    expect(config.id2label).toEqual({ 0: "L0", 1: "L1" });
  });

  it("head-only: trainable.safetensors holds only the head, frozen weights stay the same objects", async () => {
    const dir = await tempDir();
    const model = toyModel("classification", 1);
    setTrainable(model, ["bert"], false);
    const frozen = model.namedParameters().filter(([n]) => n.startsWith("bert."));
    const before = frozen.map(([, p]) => p.value);
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      maxSteps: 2,
      lr: 1e-2,
      checkpoints: { dir },
    });
    const result = await trainer.fit(toyData(16, 1, "classification"));
    expect(frozen.map(([, p]) => p.value)).toEqual(before);
    for (const [i, [, p]] of frozen.entries()) expect(p.value).toBe(before[i]);
    const { tensors } = await readSafetensorsFile(join(result.lastCheckpoint!, "trainable.safetensors"));
    expect([...tensors.keys()].sort()).toEqual(["classifier.bias", "classifier.weight"]);
    const ckpt = await loadTrainingCheckpoint(result.lastCheckpoint!);
    expect(Object.keys(ckpt.optimizer).sort()).toEqual([
      "classifier.bias::m",
      "classifier.bias::v",
      "classifier.weight::m",
      "classifier.weight::v",
    ]);
  });

  it("resume is exact: N updates == k updates, checkpoint, new objects, resume, N-k updates (bit-exact)", async () => {
    const dir = await tempDir();
    const data = toyData(32, 1, "classification");
    const val = toyData(8, 2, "classification");
    // 2 updates per epoch (4 batches, accumulation 2): stopping at 3 is mid-epoch; dropout,
    // bucketing, warm-up + linear decay, clipping and early-stopping state all carry over.
    const options = (
      model: ReturnType<typeof toyModel>,
      extra: Partial<TrainerOptions> = {},
    ): TrainerOptions => ({
      model,
      backend,
      batchSize: 8,
      gradientAccumulation: 2,
      maxSteps: 7,
      lr: 5e-3,
      warmupSteps: 2,
      clipNorm: 1,
      seed: 5,
      bucketing: { windowBatches: 2 },
      padding: { buckets: [8, 16] },
      evaluation: { everySteps: 2 },
      earlyStopping: { patience: 10, metric: "accuracy" },
      metricForBest: "loss",
      bestMode: "max", // the first evaluation is the best: a resume that forgot it would pick a later one
      ...extra,
    });
    const full = toyModel("classification", 3, 2);
    const fullResult = await new Trainer(options(full)).fit(data, { evalData: val });
    expect(fullResult.step).toBe(7);

    const first = toyModel("classification", 3, 2);
    const stopAt3 = { onStep: (s: { step: number }) => (s.step === 3 ? "stop" : undefined) };
    const part = await new Trainer(options(first, { checkpoints: { dir }, callbacks: [stopAt3] })).fit(data, {
      evalData: val,
    });
    expect(part.stopReason).toBe("callback");
    expect(part.lastCheckpoint).toBe(join(dir, "checkpoint-3"));
    const saved = (await loadTrainingCheckpoint(part.lastCheckpoint!)).state;
    expect([saved.step, saved.microStep, saved.epoch, saved.batchInEpoch]).toEqual([3, 0, 1, 2]);
    expect(saved.rng).toEqual({ seed: 5, epoch: 1 });
    expect(saved.schedule).toEqual({ name: "linear", completedSteps: 3, totalSteps: 7 });
    expect(saved.earlyStopping).toMatchObject({ metric: "accuracy", mode: "max", bestStep: 2, sinceBest: 0 });

    const second = toyModel("classification", 77, 2); // other init: every weight must come from the checkpoint
    const resumed = await new Trainer(options(second, { checkpoints: { dir } })).fit(data, {
      evalData: val,
      resumeFrom: "latest",
    });
    expect(resumed.step).toBe(7);
    expect(resumed.resumedFrom).toEqual({ folder: join(dir, "checkpoint-3"), step: 3 });
    expect(fullResult.resumedFrom).toBeUndefined();
    expect(resumed.stopReason).toBe("max-steps");
    const a = weights(full);
    const b = weights(second);
    for (const [name, w] of a) expect(b.get(name), name).toEqual(w);
    expect(resumed.best).toEqual(fullResult.best);
    expect(resumed.evaluations).toEqual(fullResult.evaluations); // steps, epochs, losses, metrics
  });

  it("refuses to resume with other options, naming what differs", async () => {
    const dir = await tempDir();
    const data = toyData(16, 1, "classification");
    const base = { backend, batchSize: 8, maxSteps: 2, lr: 1e-3, checkpoints: { dir } };
    await new Trainer({ model: toyModel("classification", 1), ...base }).fit(data);
    const other = new Trainer({ model: toyModel("classification", 1), ...base, lr: 2e-3 });
    await expect(other.fit(data, { resumeFrom: join(dir, "checkpoint-2") })).rejects.toThrow(
      /checkpoint-2: the checkpoint was written with other training options \(lr: 0\.001 → 0\.002\)/,
    );
    const frozen = toyModel("classification", 1);
    setTrainable(frozen, ["bert"], false);
    await expect(
      new Trainer({ model: frozen, ...base }).fit(data, { resumeFrom: "latest" }),
    ).rejects.toMatchObject({
      code: "CHECKPOINT_MISMATCH",
    });
    const threeLabels = new BertForSequenceClassification(tinyTrainerConfig(3), { seed: 1 });
    await expect(
      new Trainer({ model: threeLabels, ...base }).fit(data, { resumeFrom: "latest" }),
    ).rejects.toThrow(
      /checkpoint-2: the weights do not fit the model \(classifier\.weight is float32\[2, 16\], the model has float32\[3, 16\]; classifier\.bias is float32\[2\], the model has float32\[3\]\)/,
    );
    await expect(
      new Trainer({
        model: toyModel("classification", 1),
        ...base,
        checkpoints: { dir: join(dir, "none") },
      }).fit(data, {
        resumeFrom: "latest",
      }),
    ).rejects.toThrow(/resumeFrom is "latest"; expected a checkpoint folder; none found/);
  });
});
