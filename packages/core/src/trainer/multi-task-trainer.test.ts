import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { MultiTaskModel } from "../models/multitask/multi-task-model.js";
import type { TaskHeadSpec } from "../models/multitask/task-head.js";
import type { TaskMixture } from "./task-mixture.js";
import { Trainer } from "./trainer.js";
import { tinyTrainerConfig, toyData } from "../testing/trainer-fixtures.js";

const backend = createReferenceBackend();
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-mt-"));
  dirs.push(d);
  return d;
};

const HEADS: readonly TaskHeadSpec[] = [
  { name: "cls", kind: "classification", labels: ["no", "yes"] },
  { name: "reg", kind: "regression" },
  { name: "tok", kind: "token-classification", numLabels: 2 },
];
const mixture = (batching: "per-task" | "mixed"): TaskMixture => ({
  tasks: [
    { name: "cls", train: toyData(48, 1, "classification"), eval: toyData(16, 11, "classification") },
    {
      name: "reg",
      train: toyData(32, 2, "regression"),
      eval: toyData(16, 12, "regression"),
      metric: "spearman",
    },
    { name: "tok", train: toyData(16, 3, "tokens"), eval: toyData(16, 13, "tokens") },
  ],
  sampling: { strategy: "temperature", temperature: 2 },
  batching,
});
const model = (seed = 1) => new MultiTaskModel(tinyTrainerConfig(2), HEADS, { seed });
const weights = (m: MultiTaskModel) =>
  new Map(m.namedParameters().map(([n, p]) => [n, Array.from(p.value.data)]));

describe("Trainer on a task mixture (MultiTaskModel, reference backend)", () => {
  for (const batching of ["per-task", "mixed"] as const) {
    it(`${batching} batches: every task learns; per-task and macro metrics; best follows macro`, async () => {
      const m = model();
      const trainer = new Trainer({
        model: m,
        backend,
        batchSize: 8,
        epochs: 6,
        lr: 4e-3,
        schedule: "constant",
        seed: 3,
      });
      const mix = mixture(batching);
      const before = await trainer.evaluate(mix);
      const result = await trainer.fit(mix);
      const after = result.evaluations.at(-1)!;
      expect(result.step).toBe(6 * 12); // ceil(96 rows / 8) batches per epoch
      expect(Object.keys(after.metrics)).toEqual([
        "macro",
        "cls/loss",
        "cls/accuracy",
        "cls/macro_f1",
        "cls/mcc",
        "reg/loss",
        "reg/pearson",
        "reg/spearman",
        "reg/mse",
        "tok/loss",
        "tok/accuracy",
        "tok/macro_f1",
        "tok/entity_f1",
      ]);
      const m_ = after.metrics;
      expect(m_.macro).toBeCloseTo((m_["cls/accuracy"]! + m_["reg/spearman"]! + m_["tok/accuracy"]!) / 3, 12);
      expect(after.loss).toBeCloseTo((m_["cls/loss"]! + m_["reg/loss"]! + m_["tok/loss"]!) / 3, 12);
      for (const t of ["cls", "reg", "tok"])
        expect(m_[`${t}/loss`]!).toBeLessThan(before.metrics[`${t}/loss`]!);
      expect(m_["tok/accuracy"]).toBeGreaterThan(0.9);
      expect(result.best?.metric).toBe("macro");
      const bestEval = result.evaluations.reduce((a, e) => (e.metrics.macro! > a.metrics.macro! ? e : a));
      expect(result.best?.value).toBe(bestEval.metrics.macro);
      // one task's evaluation and prediction through its head
      const cls = await trainer.evaluate(mix.tasks[0]!.eval!, { task: "cls" });
      expect(cls.metrics.accuracy).toBeCloseTo(m_["cls/accuracy"]!, 12);
      const p = await trainer.predict(mix.tasks[0]!.eval!, { task: "cls" });
      expect(p.labels?.every((l) => l === "no" || l === "yes")).toBe(true);
      const reg = await trainer.predict(mix.tasks[1]!.eval!, { task: "reg" });
      expect(reg.task).toBe("regression");
      await trainer.dispose();
    });
  }

  it("resumes bit-exactly mid-epoch (sampler state included)", async () => {
    const dir = await tempDir();
    const opts = {
      backend,
      batchSize: 8,
      maxSteps: 20,
      lr: 3e-3,
      seed: 5,
      checkpoints: { dir, everySteps: 7, keepLast: 5 },
    } as const;
    const mix = mixture("mixed");
    const full = model(1);
    const a = await new Trainer({ model: full, ...opts }).fit(mix);
    const second = model(9);
    const b = await new Trainer({ model: second, ...opts }).fit(mix, {
      resumeFrom: join(dir, "checkpoint-7"),
    });
    expect(b.resumedFrom?.step).toBe(7);
    expect(b.step).toBe(a.step);
    const wa = weights(full);
    for (const [n, w] of weights(second)) expect(w, n).toEqual(wa.get(n));
  });

  it("clear errors: unknown task, wrong data kind, metrics option, single-head model, task on a one-head model", async () => {
    const m = model();
    const trainer = new Trainer({ model: m, backend, batchSize: 8, epochs: 1 });
    await expect(
      trainer.fit({ tasks: [{ name: "nli", train: toyData(8, 1, "classification") }] }),
    ).rejects.toThrow(/the mixture's task "nli" has no head in the model; the model's tasks: cls, reg, tok/);
    await expect(
      trainer.fit({ tasks: [{ name: "reg", train: toyData(8, 1, "classification") }] }),
    ).rejects.toThrow(/task "reg" has a regression head but its train data is classification data/);
    await expect(
      new Trainer({ model: m, backend, batchSize: 8, epochs: 1, metrics: ["accuracy"] }).fit(
        mixture("mixed"),
      ),
    ).rejects.toThrow(/no metrics option with a task mixture/);
    await expect(trainer.predict(toyData(4, 1, "classification"), { task: "x" })).rejects.toThrow(
      /option task is "x"; expected one of the model's tasks: cls, reg, tok/,
    );
    const { toyModel } = await import("../testing/trainer-fixtures.js");
    const single = new Trainer({ model: toyModel("classification", 1), backend, batchSize: 8, epochs: 1 });
    await expect(single.fit(mixture("mixed"))).rejects.toThrow(/a task mixture needs a multi-task model/);
    await expect(single.predict(toyData(4, 1, "classification"), { task: "cls" })).rejects.toThrow(
      /the model has one head/,
    );
  });
});

describe("macro score", () => {
  it("a regression head that predicts a constant (Pearson NaN) counts as 0 in macro instead of making it NaN", async () => {
    const m = model(2);
    // zero the regression head: every prediction is its bias, a constant
    for (const [n, p] of m.namedParameters()) {
      if (n.startsWith("heads.reg.classifier."))
        p.value = { ...p.value, data: new Float32Array(p.value.data.length) };
    }
    const trainer = new Trainer({ model: m, backend, batchSize: 8, epochs: 1 });
    const r = await trainer.evaluate(mixture("per-task"));
    expect(r.metrics["reg/pearson"]).toBeNaN();
    expect(Number.isFinite(r.metrics.macro)).toBe(true);
    expect(r.metrics.macro).toBeCloseTo(
      (r.metrics["cls/accuracy"]! + 0 + r.metrics["tok/accuracy"]!) / 3,
      12,
    );
    await trainer.dispose();
  });
});
