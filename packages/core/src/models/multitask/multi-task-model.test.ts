import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../../backend/reference-backend.js";
import { TunekitError } from "../../errors.js";
import { sgd } from "../../optim/sgd.js";
import { TrainStepRunner } from "../../train/train-step-runner.js";
import { MixtureSource } from "../../trainer/task-mixture.js";
import { trainerBatch } from "../../trainer/trainer-data.js";
import { type TrainerModel, trainerForward } from "../../trainer/trainer-model.js";
import { tinyTrainerConfig, toyData, toyModel } from "../../testing/trainer-fixtures.js";
import { loadBertWeights } from "../bert/load-weights.js";
import { MultiTaskModel } from "./multi-task-model.js";

const backend = createReferenceBackend();
const evaluator = (model: TrainerModel) =>
  new TrainStepRunner({
    backend,
    params: model.namedParameters().map(([, p]) => p),
    forward: trainerForward(model),
    optimizer: sgd(),
  });

/** A single-task model holding the multi-task model's encoder and task `name`'s head. */
function singleTaskCopy(mt: MultiTaskModel, name: string, kind: "classification" | "regression" | "tokens") {
  const single = toyModel(kind, 99);
  const source = new Map(mt.namedParameters());
  for (const [n, p] of single.namedParameters()) {
    const from = n.startsWith("classifier.") ? `heads.${name}.${n}` : n;
    const v = source.get(from);
    if (v === undefined) throw new Error(`no ${from}`);
    p.value = v.value;
  }
  return single;
}

describe("MultiTaskModel", () => {
  const tasks = [
    { name: "cls", kind: "classification", numLabels: 2, lossWeight: 0.5 },
    { name: "reg", kind: "regression" },
    { name: "tok", kind: "token-classification", numLabels: 2 },
  ] as const;
  const data = {
    cls: toyData(6, 1, "classification"),
    reg: toyData(5, 2, "regression"),
    tok: toyData(4, 3, "tokens"),
  };

  it("a mixed batch's joint loss is Σ w_t (n_t/B) L_t, each L_t equal to the single-task model's loss on its rows", async () => {
    const mt = new MultiTaskModel(tinyTrainerConfig(2), tasks, { seed: 3 });
    const source = new MixtureSource(
      {
        tasks: [
          { name: "cls", train: data.cls },
          { name: "reg", train: data.reg },
          { name: "tok", train: data.tok },
        ],
      },
      mt.tasks,
    );
    // global rows: cls 0..5, reg 6..10, tok 11..14 → 3 cls rows, 2 reg rows, 2 tok rows
    const rows = Int32Array.of(0, 7, 2, 12, 5, 9, 14);
    const out = await evaluator(mt).evaluate(source.collate(rows, "longest", true).feeds);
    const local = {
      cls: Int32Array.of(0, 2, 5),
      reg: Int32Array.of(1, 3),
      tok: Int32Array.of(1, 3),
    };
    const kinds = { cls: "classification", reg: "regression", tok: "tokens" } as const;
    const single: Record<string, number> = {};
    for (const name of ["cls", "reg", "tok"] as const) {
      const model = singleTaskCopy(mt, name, kinds[name]);
      const r = await evaluator(model).evaluate(trainerBatch(data[name], local[name], "longest", true).feeds);
      single[name] = r.loss!.data[0]!;
    }
    // float32 on both sides; the batches differ only in padding (masked) and row order
    expect(out.loss_0!.data[0]).toBeCloseTo(single.cls!, 5);
    expect(out.loss_1!.data[0]).toBeCloseTo(single.reg!, 5);
    expect(out.loss_2!.data[0]).toBeCloseTo(single.tok!, 5);
    const joint = (0.5 * 3 * single.cls! + 2 * single.reg! + 2 * single.tok!) / 7;
    expect(Math.abs(out.loss!.data[0]! - joint)).toBeLessThan(1e-5 * Math.max(1, joint));
    expect(out.logits_0!.shape).toEqual([7, 2]);
    expect(out.logits_1!.shape).toEqual([7, 1]);
    expect(out.logits_2!.shape).toEqual([7, out.logits_2!.shape[1]!, 2]);
  });

  it("a batch of one task trains like that task's single-task model (same gradients, scaled by its weight)", async () => {
    const mt = new MultiTaskModel(tinyTrainerConfig(2), tasks, { seed: 4 });
    const single = singleTaskCopy(mt, "cls", "classification");
    const source = new MixtureSource({ tasks: [{ name: "cls", train: data.cls }] }, mt.tasks);
    const rows = Int32Array.of(0, 1, 2, 3);
    const lr = 0.1;
    const mtRunner = new TrainStepRunner({
      backend,
      params: mt.namedParameters().map(([, p]) => p),
      forward: trainerForward(mt),
      optimizer: sgd(),
    });
    const stRunner = new TrainStepRunner({
      backend,
      params: single.namedParameters().map(([, p]) => p),
      forward: trainerForward(single),
      optimizer: sgd(),
    });
    // the cls task's weight is 0.5, so its step at lr equals the single-task step at lr/2
    await mtRunner.step(source.collate(rows, "longest", true).feeds, { lr });
    await stRunner.step(trainerBatch(data.cls, rows, "longest", true).feeds, { lr: lr / 2 });
    const after = new Map(mt.namedParameters());
    let worst = 0;
    for (const [n, p] of single.namedParameters()) {
      const q = after.get(n.startsWith("classifier.") ? `heads.cls.${n}` : n)!;
      const a = p.value.data;
      const b = q.value.data;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    }
    expect(worst).toBeLessThan(1e-6);
    // the other heads got no update: their rows' labels were all ignored
    expect(after.get("heads.reg.classifier.weight")!.value.data).toEqual(
      new MultiTaskModel(tinyTrainerConfig(2), tasks, { seed: 4 })
        .namedParameters()
        .find(([n]) => n === "heads.reg.classifier.weight")![1].value.data,
    );
  });

  it("loads a single-task BERT checkpoint: the encoder from it, every head fresh (reported)", () => {
    const pre = toyModel("classification", 5);
    const mt = new MultiTaskModel(tinyTrainerConfig(2), tasks, { seed: 6 });
    const report = loadBertWeights(mt, new Map(pre.namedParameters().map(([n, p]) => [n, p.value])));
    expect(report.initialized.sort()).toEqual(
      ["cls", "reg", "tok"]
        .flatMap((t) => [`heads.${t}.classifier.bias`, `heads.${t}.classifier.weight`])
        .sort(),
    );
    expect(report.ignored).toEqual(["classifier.weight", "classifier.bias"]);
    const enc = new Map(mt.namedParameters());
    for (const [n, p] of pre.namedParameters())
      if (n.startsWith("bert.")) expect(enc.get(n)!.value).toBe(p.value);
  });

  it("names parameters bert.* and heads.<task>.classifier.*; refuses bad task specs", () => {
    const mt = new MultiTaskModel(tinyTrainerConfig(2), tasks);
    const names = mt.namedParameters().map(([n]) => n);
    expect(names).toContain("bert.pooler.dense.weight");
    expect(names).toContain("heads.tok.classifier.bias");
    expect(mt.taskIndex("reg")).toBe(1);
    const bad = (f: () => unknown, re: RegExp): void => {
      expect(f).toThrow(TunekitError);
      expect(f).toThrow(re);
    };
    const config = tinyTrainerConfig(2);
    bad(() => new MultiTaskModel(config, []), /non-empty array of tasks/);
    bad(() => new MultiTaskModel(config, [{ name: "a.b", kind: "regression" }]), /letters, digits/);
    bad(
      () => new MultiTaskModel(config, [{ name: "a", kind: "classification" }]),
      /give numLabels or labels/,
    );
    bad(() => new MultiTaskModel(config, [{ name: "a", kind: "regression", numLabels: 3 }]), /1 output/);
    bad(
      () =>
        new MultiTaskModel(config, [
          { name: "a", kind: "regression" },
          { name: "a", kind: "regression" },
        ]),
      /listed twice/,
    );
    bad(() => mt.taskIndex("nope"), /its tasks: cls, reg, tok/);
  });
});

describe("multi-task checkpoints", () => {
  it("saveMultiTaskCheckpoint + loadMultiTaskCheckpoint give the same heads and weights; a plain BERT folder is refused", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { saveBertCheckpoint } = await import("../bert/checkpoint.js");
    const { loadMultiTaskCheckpoint, saveMultiTaskCheckpoint } = await import("./multi-task-checkpoint.js");
    const dir = await mkdtemp(join(tmpdir(), "tunekit-mtckpt-"));
    try {
      const mt = new MultiTaskModel(
        tinyTrainerConfig(2),
        [
          { name: "a", kind: "classification", labels: ["x", "y", "z"], lossWeight: 2 },
          { name: "b", kind: "regression" },
        ],
        { seed: 8 },
      );
      await saveMultiTaskCheckpoint(mt, join(dir, "mt"));
      const { model } = await loadMultiTaskCheckpoint(join(dir, "mt"));
      expect(model.tasks).toEqual(mt.tasks);
      const want = new Map(mt.namedParameters().map(([n, p]) => [n, p.value.data]));
      for (const [n, p] of model.namedParameters()) expect(p.value.data, n).toEqual(want.get(n));
      // the encoder loads into a single-task BERT; the task heads are skipped, its head starts fresh
      const { loadBertCheckpoint } = await import("../bert/checkpoint.js");
      const single = await loadBertCheckpoint(join(dir, "mt"), {
        task: "sequence-classification",
        numLabels: 2,
      });
      expect(single.report.initialized).toEqual(["classifier.weight", "classifier.bias"]);
      const word = (m: { namedParameters(): [string, { value: { data: unknown } }][] }) =>
        m.namedParameters().find(([n]) => n === "bert.embeddings.word_embeddings.weight")![1].value.data;
      expect(word(single.model)).toEqual(word(mt));
      await saveBertCheckpoint(toyModel("classification", 1), join(dir, "plain"));
      await expect(loadMultiTaskCheckpoint(join(dir, "plain"))).rejects.toThrow(
        /not a multi-task model \(no task_heads list\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
