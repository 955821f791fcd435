import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkGradients } from "../autodiff/finite-difference.js";
import { grad } from "../autodiff/grad.js";
import { createReferenceBackend, evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { balancedEpochRows } from "../data/balanced-sampling.js";
import { Graph } from "../ir/graph.js";
import { balancedClassWeights, classCounts, weightedCrossEntropy } from "./class-weights.js";
import { Trainer } from "./trainer.js";
import { epochBatches } from "./trainer-data.js";
import type { TrainerOptions } from "./trainer-options.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

// PyTorch 1.13, float64: CrossEntropyLoss(weight=[0.5, 2.0, 1.25]) on these logits and labels
// (row 3 ignored): loss and d loss / d logits.
const LOGITS = [
  [0.5, -1.0, 2.0],
  [1.5, 0.25, -0.5],
  [-0.75, 0.0, 0.5],
  [2.0, 1.0, -1.0],
  [0.1, 0.2, 0.3],
];
const LABELS = [2, 0, 1, -100, 1];
const WEIGHTS = [0.5, 2.0, 1.25];
const TORCH_LOSS = 0.8622372093924007;
const TORCH_GRAD = [
  [0.0381066069869645, 0.008502733319714663, -0.04660934030667915],
  [-0.025798784693758788, 0.017521985028613123, 0.008276799665145652],
  [0.052642353866191025, -0.23638222294726505, 0.18373986908107398],
  [0, 0, 0],
  [0.1045598627324269, -0.2322695674666618, 0.12770970473423496],
];

describe("weightedCrossEntropy", () => {
  it("equals PyTorch's CrossEntropyLoss(weight=...) and its gradient (float64)", () => {
    const g = new Graph();
    const x = g.input("x", "float32", [5, 3]);
    const y = g.input("y", "int32", [5]);
    const loss = weightedCrossEntropy(x, y, WEIGHTS);
    g.output("loss", loss);
    g.output("dx", grad(loss, [x])[0]!);
    const out = evaluateGraphFloat64(g, {
      x: { dtype: "float32", shape: [5, 3], data: Float64Array.from(LOGITS.flat()) },
      y: { dtype: "int32", shape: [5], data: Float64Array.from(LABELS) },
    });
    expect(out.loss!.data[0]).toBeCloseTo(TORCH_LOSS, 12);
    const dx = [...out.dx!.data];
    for (const [i, v] of TORCH_GRAD.flat().entries()) expect(dx[i]).toBeCloseTo(v, 12);
  });

  it("has the gradient of central finite differences", () => {
    const r = checkGradients(
      { x: { shape: [4, 3], range: [-2, 2] }, y: { shape: [4], dtype: "int32", data: [2, -100, 0, 2] } },
      ({ x, y }) => weightedCrossEntropy(x!, y!, [3, 0.25, 1.5]),
    );
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("refuses a weight list of the wrong length", () => {
    const g = new Graph();
    const x = g.input("x", "float32", [2, 3]);
    const y = g.input("y", "int32", [2]);
    expect(() => weightedCrossEntropy(x, y, [1, 2])).toThrow(
      expect.objectContaining({ code: "SHAPE_MISMATCH" }),
    );
  });
});

describe("balancedClassWeights", () => {
  it("is scikit-learn's n / (k * count), 1 for a class without rows", () => {
    // 6 rows, counts [3, 1, 2, 0], k = 4: 6/12, 6/4, 6/8, (absent) 1
    expect(balancedClassWeights(Int32Array.of(0, 0, 0, 1, 2, 2), 4)).toEqual([0.5, 1.5, 0.75, 1]);
    expect(classCounts(Int32Array.of(1, -100, 1), 2, "labels")).toEqual([0, 2]);
    expect(() => classCounts(Int32Array.of(0, 3), 2, "train labels")).toThrow(/label 3 at row 1/);
  });
});

describe("Trainer with classWeights", () => {
  it("evaluates the weighted mean loss of its own predictions, and trains", async () => {
    const backend = createReferenceBackend();
    const data = toyData(12, 5, "classification");
    const weights = [0.4, 2.5];
    const trainer = new Trainer({
      model: toyModel("classification", 3),
      backend,
      batchSize: 12,
      maxSteps: 2,
      lr: 1e-3,
      classWeights: weights,
      seed: 3,
    });
    const { loss, confusion } = await trainer.evaluate(data);
    const { probabilities, predictions } = await trainer.predict(data);
    // Trainer.evaluate's confusion matrix counts the same predictions predict makes
    const want = [
      [0, 0],
      [0, 0],
    ];
    for (const [i, p] of predictions.entries()) want[data.labels![i]!]![p]!++;
    expect(confusion).toEqual(want);
    let num = 0;
    let den = 0;
    probabilities!.forEach((p, i) => {
      const y = data.labels![i]!;
      num += weights[y]! * -Math.log(p[y]!);
      den += weights[y]!;
    });
    expect(loss).toBeCloseTo(num / den, 5);
    const fit = await trainer.fit(data);
    expect(fit.step).toBe(2);
    expect(Number.isFinite(fit.trainLoss)).toBe(true);
  });

  it("refuses weights for regression, a wrong count, or non-positive values", async () => {
    const backend = createReferenceBackend();
    const base = { backend, batchSize: 4, maxSteps: 1 };
    expect(
      () => new Trainer({ ...base, model: toyModel("classification", 1), classWeights: [1, 2, 3] }),
    ).toThrow(/classWeights .*2 weights/);
    expect(
      () => new Trainer({ ...base, model: toyModel("classification", 1), classWeights: [1, 0] }),
    ).toThrow(/positive numbers/);
    const reg = new Trainer({ ...base, model: toyModel("regression", 1), classWeights: [2] });
    await expect(reg.fit(toyData(8, 1, "regression"))).rejects.toThrow(/regression task/);
  });
});

describe("balanced sampling", () => {
  const labels = Int32Array.of(0, 0, 0, 0, 0, 1, 2, 2);

  it("oversamples every class to the largest, deterministically per seed and epoch", () => {
    const rows = balancedEpochRows(labels, 7, 0);
    expect(rows).toHaveLength(15); // 3 classes x 5 rows
    const count = (c: number): number => [...rows].filter((i) => labels[i] === c).length;
    expect([count(0), count(1), count(2)]).toEqual([5, 5, 5]);
    // class 2 (2 rows, target 5): both rows twice, one more drawn
    const twos = [...rows].filter((i) => labels[i] === 2);
    expect(twos.filter((i) => i === 6).length + twos.filter((i) => i === 7).length).toBe(5);
    expect(Math.abs(twos.filter((i) => i === 6).length - twos.filter((i) => i === 7).length)).toBe(1);
    expect(balancedEpochRows(labels, 7, 0)).toEqual(rows);
    const draws = new Set(Array.from({ length: 12 }, (_, e) => balancedEpochRows(labels, 7, e).join(",")));
    expect(draws.size).toBe(2); // the extra class-2 row is row 6 or row 7, depending on the epoch
  });

  it("gives balanced batches through epochBatches, the same on a replanned (resumed) epoch", () => {
    const data = { ...toyData(8, 1, "classification"), labels };
    const o = {
      batchSize: 5,
      seed: 3,
      epoch: 2,
      lastBatch: "keep",
      bucketing: false,
      sampling: "balanced",
    } as const;
    const batches = epochBatches(data, o);
    expect(batches.map((b) => b.length)).toEqual([5, 5, 5]);
    expect(epochBatches(data, o)).toEqual(batches);
    const seen = batches.flatMap((b) => [...b].map((i) => labels[i]!));
    expect([0, 1, 2].map((c) => seen.filter((y) => y === c).length)).toEqual([5, 5, 5]);
    expect(() => epochBatches(toyData(8, 1, "regression"), o)).toThrow(/sequence classification labels/);
  });

  it("resumes exactly: balanced sampling and class weights, stopped mid-epoch and resumed from a checkpoint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-balanced-"));
    const data = {
      ...toyData(12, 4, "classification"),
      labels: Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1),
    };
    const options = (
      model: ReturnType<typeof toyModel>,
      extra: Partial<TrainerOptions> = {},
    ): TrainerOptions => ({
      model,
      backend: createReferenceBackend(),
      batchSize: 6,
      maxSteps: 5, // 3 updates per epoch (18 oversampled rows): the stop at 2 is mid-epoch
      lr: 5e-3,
      seed: 9,
      sampling: "balanced",
      classWeights: [0.5, 1.5],
      ...extra,
    });
    const full = toyModel("classification", 2);
    await new Trainer(options(full)).fit(data);
    const stopAt2 = { onStep: (s: { step: number }) => (s.step === 2 ? "stop" : undefined) };
    await new Trainer(
      options(toyModel("classification", 2), { checkpoints: { dir }, callbacks: [stopAt2] }),
    ).fit(data);
    const resumed = toyModel("classification", 31); // other init: the weights must come from the checkpoint
    const r = await new Trainer(options(resumed, { checkpoints: { dir } })).fit(data, {
      resumeFrom: "latest",
    });
    expect(r.step).toBe(5);
    const a = new Map(full.namedParameters().map(([n, p]) => [n, Array.from(p.value.data)]));
    for (const [n, p] of resumed.namedParameters()) expect(Array.from(p.value.data), n).toEqual(a.get(n));
    await rm(dir, { recursive: true, force: true });
  });

  it("plans a Trainer epoch over the oversampled rows", async () => {
    const data = { ...toyData(8, 1, "classification"), labels: Int32Array.of(0, 0, 0, 0, 0, 0, 1, 1) };
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend: createReferenceBackend(),
      batchSize: 4,
      epochs: 1,
      sampling: "balanced",
    });
    const fit = await trainer.fit(data);
    expect(fit.step).toBe(3); // 2 classes x 6 rows = 12 rows = 3 batches of 4
  });
});
