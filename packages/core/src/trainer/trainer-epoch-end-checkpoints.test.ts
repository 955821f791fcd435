import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import type { CheckpointInfo } from "./trainer-callbacks.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const backend = createReferenceBackend();
const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "tunekit-epoch-end-"));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

// 16 rows, batch 8: 2 updates per epoch, 3 epochs; steps 2 and 4 end an epoch (6 ends the run).
const train = toyData(16, 1, "classification");
const val = toyData(8, 2, "classification");

/** Two setups where the update that ends an epoch is due a checkpoint before the epoch-end work. */
const SETUPS: [string, Partial<TrainerOptions>, Partial<NonNullable<TrainerOptions["checkpoints"]>>][] = [
  // every-steps evaluation at the epoch's last update (best: save now) + the epoch-end checkpoint
  [
    "every-steps evaluation and epoch-end checkpoints",
    { evaluation: { everySteps: 2 } },
    { everySteps: 1, atEpochEnd: true },
  ],
  // every-steps checkpoint at the epoch's last update, then the epoch-end evaluation (best: save)
  [
    "epoch-end evaluation and every-steps checkpoints",
    { evaluation: { atEpochEnd: true } },
    { everySteps: 1 },
  ],
];

function run(
  seed: number,
  extra: Partial<TrainerOptions>,
  checkpoints: TrainerOptions["checkpoints"],
  writes: CheckpointInfo[] = [],
) {
  const model = toyModel("classification", seed);
  const trainer = new Trainer({
    model,
    backend,
    batchSize: 8,
    epochs: 3,
    lr: 3e-3,
    seed: 4,
    ...(checkpoints === undefined ? {} : { checkpoints }),
    callbacks: [{ onCheckpoint: (c) => void writes.push(c) }],
    ...extra,
  });
  const weights = () =>
    new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.value.data)]));
  return { trainer, weights };
}

describe("Trainer: a step that ends an epoch is checkpointed once", () => {
  for (const [name, evaluation, checkpoints] of SETUPS) {
    it(`${name}: one write per step, holding the epoch-end state; resuming from it is bit-exact`, async () => {
      const plain = run(1, evaluation, undefined);
      const want = await plain.trainer.fit(train, { evalData: val });
      const wantWeights = plain.weights();

      const dir = await tempDir();
      const writes: CheckpointInfo[] = [];
      const saved = run(1, evaluation, { dir, keepLast: 10, ...checkpoints }, writes);
      const got = await saved.trainer.fit(train, { evalData: val });
      // each step number written exactly once (before: the epoch-end steps 2 and 4 twice)
      expect(writes.map((w) => w.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(writes[1]).toEqual({ step: 2, path: join(dir, "checkpoint-2"), isBest: true }); // first evaluation
      expect(got.evaluations).toEqual(want.evaluations);
      expect(want.evaluations.map((e) => e.step)).toEqual([2, 4, 6]);

      // checkpoint-2 holds the state after the epoch-end work: position at epoch 1, evaluation 2 in
      const state = (await loadTrainingCheckpoint(join(dir, "checkpoint-2"))).state;
      expect([state.step, state.epoch, state.batchInEpoch, state.rng.epoch]).toEqual([2, 1, 0, 1]);
      expect(state.evaluations.map((e) => e.step)).toEqual([2]);
      expect(state.bestCheckpoint).toBe("checkpoint-2");

      const dir2 = await tempDir();
      const resumedWrites: CheckpointInfo[] = [];
      const resumed = run(99, evaluation, { dir: dir2, keepLast: 10, ...checkpoints }, resumedWrites);
      const r = await resumed.trainer.fit(train, { evalData: val, resumeFrom: join(dir, "checkpoint-2") });
      expect(r.step).toBe(6);
      expect(resumedWrites.map((w) => w.step)).toEqual([3, 4, 5, 6]);
      expect(r.evaluations).toEqual(want.evaluations);
      expect(r.best).toEqual(want.best);
      const weights = resumed.weights();
      for (const [n, w] of wantWeights) expect(weights.get(n), n).toEqual(w);
    });
  }

  it("a checkpoint written before its epoch-end work (older versions) replays that work on resume", async () => {
    const [, evaluation, checkpoints] = SETUPS[1]!;
    const plain = run(1, evaluation, undefined);
    const want = await plain.trainer.fit(train, { evalData: val });
    const wantWeights = plain.weights();
    const dir = await tempDir();
    await run(1, evaluation, { dir, keepLast: 10, ...checkpoints }).trainer.fit(train, { evalData: val });

    // The old layout of checkpoint-2: weights and optimizer after update 2, position at the end of
    // epoch 0, and the trackers and evaluations from before the epoch-end evaluation (as at step 1).
    const legacy = join(dir, "legacy-2");
    await cp(join(dir, "checkpoint-2"), legacy, { recursive: true });
    const statePath = (folder: string) => join(folder, "trainer_state.json");
    const atStep2 = JSON.parse(await readFile(statePath(legacy), "utf8"));
    const atStep1 = JSON.parse(await readFile(statePath(join(dir, "checkpoint-1")), "utf8"));
    const old = {
      ...atStep2,
      epoch: 0,
      batchInEpoch: 2,
      rng: { ...atStep2.rng, epoch: 0 },
      best: atStep1.best,
      bestCheckpoint: atStep1.bestCheckpoint,
      evaluations: atStep1.evaluations,
    };
    expect(old.evaluations).toEqual([]);
    await writeFile(statePath(legacy), JSON.stringify(old));

    const resumed = run(99, evaluation, { dir: await tempDir(), keepLast: 10, ...checkpoints });
    const r = await resumed.trainer.fit(train, { evalData: val, resumeFrom: legacy });
    expect(r.evaluations).toEqual(want.evaluations); // the step-2 epoch-end evaluation was replayed
    expect(r.best).toEqual(want.best);
    const weights = resumed.weights();
    for (const [n, w] of wantWeights) expect(weights.get(n), n).toEqual(w);
  });
});
