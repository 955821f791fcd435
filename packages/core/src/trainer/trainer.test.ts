import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { sgd } from "../optim/sgd.js";
import { entityScores } from "./entity-metrics.js";
import { Trainer } from "./trainer.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const backend = createReferenceBackend();

describe("Trainer on a tiny BERT (reference backend)", () => {
  it("sequence classification: loss goes down, accuracy up, predict gives probabilities and labels", async () => {
    const model = toyModel("classification", 1);
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      epochs: 4,
      lr: 3e-3,
      schedule: "constant",
      seed: 1,
    });
    const train = toyData(32, 1, "classification");
    const val = toyData(16, 2, "classification");
    const before = await trainer.evaluate(val);
    const result = await trainer.fit(train, { evalData: val });
    const after = await trainer.evaluate(val);
    expect(result.step).toBe(16);
    expect(result.stopReason).toBe("epochs");
    expect(result.evaluations.map((e) => e.step)).toEqual([4, 8, 12, 16]);
    expect(after.loss).toBeLessThan(before.loss - 0.1);
    expect(after.metrics.accuracy).toBeGreaterThan(0.8);
    expect(Object.keys(after.metrics)).toEqual(["accuracy", "macro_f1", "mcc"]);
    const p = await trainer.predict(val);
    expect(p.predictions).toHaveLength(16);
    expect(p.logits[0]).toHaveLength(2);
    const probs = p.probabilities![3]!;
    expect(probs[0]! + probs[1]!).toBeCloseTo(1, 6);
    // predicted label = argmax of the logits, named from the config's id2label
    const l = p.logits[3]!;
    expect(p.predictions[3]).toBe(l[1]! > l[0]! ? 1 : 0);
    expect(p.labels![3]).toBe(`L${p.predictions[3]}`);
    // evaluate's accuracy agrees with predict's labels
    const gold = val.labels!;
    const acc = p.predictions.filter((v, i) => v === gold[i]).length / 16;
    expect(acc).toBeCloseTo(after.metrics.accuracy!, 12);
  });

  it("regression (MSE, STS-B style): loss goes down, pearson/spearman/mse reported", async () => {
    const model = toyModel("regression", 1);
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      epochs: 8,
      lr: 5e-3,
      schedule: "constant",
      seed: 1,
    });
    const train = toyData(64, 1, "regression");
    const val = toyData(16, 2, "regression");
    const before = await trainer.evaluate(val);
    await trainer.fit(train);
    const after = await trainer.evaluate(val);
    expect(after.loss).toBeLessThan(before.loss * 0.7);
    expect(after.metrics.pearson).toBeGreaterThan(0.5);
    // the reported mse equals the mean squared error of predict's values (loss is the same MSE)
    const p = await trainer.predict(val);
    const mse = p.predictions.reduce((s, v, i) => s + (v - val.labels![i]!) ** 2, 0) / 16;
    expect(after.metrics.mse).toBeCloseTo(mse, 5);
    expect(after.loss).toBeCloseTo(mse, 5);
    expect(p.probabilities).toBeUndefined();
  });

  it("token classification: loss goes down, tokens with -100 are not scored, predictions per real token", async () => {
    const model = toyModel("tokens", 1);
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      epochs: 4,
      lr: 3e-3,
      schedule: "constant",
      seed: 1,
    });
    const train = toyData(32, 1, "tokens");
    const val = toyData(16, 2, "tokens");
    const before = await trainer.evaluate(val);
    await trainer.fit(train);
    const after = await trainer.evaluate(val);
    expect(after.loss).toBeLessThan(before.loss - 0.1);
    expect(after.metrics.accuracy).toBeGreaterThan(0.9);
    const p = await trainer.predict(val);
    expect(p.tokenPredictions![5]).toHaveLength(val.lengths[5]!);
    expect(p.logits[5]).toHaveLength(val.lengths[5]! * 2);
    // entity_f1 is seqeval's F1 over each row's labeled tokens, with the config's label names
    expect(Object.keys(after.metrics)).toEqual(["accuracy", "macro_f1", "entity_f1"]);
    const names = ["L0", "L1"];
    const keep = (row: number, tags: ArrayLike<number>) =>
      Array.from(tags)
        .filter((_, t) => val.tokenLabels![row]![t] !== -100)
        .map((id) => names[id]!);
    const gold = val.tokenLabels!.map((t, r) => keep(r, t));
    const predicted = p.tokenPredictions!.map((t, r) => keep(r, t));
    expect(after.metrics.entity_f1).toBe(entityScores(predicted, gold).f1);
  });
});

describe("Trainer guards", () => {
  it("a diverging run throws TRAINING_DIVERGED naming the step and lr", async () => {
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend,
      batchSize: 8,
      maxSteps: 5,
      lr: 3e38,
      schedule: "constant",
      optimizer: sgd(),
    });
    await expect(trainer.fit(toyData(32, 1, "classification"))).rejects.toMatchObject({
      code: "TRAINING_DIVERGED",
      message: expect.stringMatching(
        /^Trainer: the training loss is Infinity at step 3 \(epoch 0, lr 3e\+38\); lower lr/,
      ),
    });
  });

  it("a second fit starts a new run from the current weights", async () => {
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend,
      batchSize: 8,
      maxSteps: 2,
      lr: 1e-3,
    });
    const data = toyData(16, 1, "classification");
    expect((await trainer.fit(data)).step).toBe(2);
    const again = await trainer.fit(data);
    expect([again.step, again.stopReason, trainer.step]).toEqual([2, "max-steps", 2]);
    expect(Number.isFinite(again.trainLoss)).toBe(true); // it did train 2 updates (NaN when none ran)
  });

  it("predict on unlabeled rows: a token head gives per-token predictions without tokenLabels", async () => {
    const model = toyModel("tokens", 1);
    const trainer = new Trainer({ model, backend, batchSize: 4, maxSteps: 1 });
    const { tokenLabels: _, ...unlabeled } = toyData(6, 2, "tokens");
    const p = await trainer.predict(unlabeled);
    expect(p.task).toBe("token-classification");
    expect(p.tokenPredictions!.map((t) => t.length)).toEqual(Array.from(unlabeled.lengths));
  });
});

describe("Trainer: a non-finite evaluation is never the best", () => {
  it("NaN weights give NaN loss but a perfect accuracy on all-0 labels; the earlier evaluation stays the best", async () => {
    const model = toyModel("classification", 3);
    const bias = model.namedParameters().find(([n]) => n === "classifier.bias")![1];
    bias.value = { ...bias.value, data: new Float32Array([0, 5]) }; // predicts class 1 at first
    const val = toyData(16, 2, "classification");
    const allZero = { ...val, labels: new Int32Array(16) };
    const poison = {
      onStep: (s: { step: number }) => {
        if (s.step !== 2) return undefined;
        bias.value = { ...bias.value, data: new Float32Array([Number.NaN, Number.NaN]) };
        return undefined;
      },
    };
    const trainer = new Trainer({
      model,
      backend,
      batchSize: 8,
      maxSteps: 2,
      lr: 1e-3,
      metricForBest: "accuracy",
      evaluation: { everySteps: 1 },
      callbacks: [poison],
    });
    const result = await trainer.fit(toyData(16, 1, "classification"), { evalData: allZero });
    expect(result.evaluations[0]!.metrics.accuracy).toBeLessThan(0.5);
    expect(result.evaluations[1]!.loss).toBeNaN();
    expect(result.evaluations[1]!.metrics.accuracy).toBe(1); // argmax of NaN logits is class 0
    expect(result.best?.step).toBe(1);
  });
});
