import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { saveTrainingCheckpoint, loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import { isTunekitError } from "../errors.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";
import { newestValidCheckpoint } from "./trainer-resume.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A run of 3 updates keeping every checkpoint (checkpoint-1, -2, -3). */
async function threeCheckpoints(): Promise<{ dir: string; options: Omit<TrainerOptions, "model"> }> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
  dirs.push(dir);
  const options = {
    backend: createReferenceBackend(),
    batchSize: 4,
    maxSteps: 3,
    lr: 1e-3,
    seed: 3,
    checkpoints: { dir, everySteps: 1, keepLast: 5 },
  } satisfies Omit<TrainerOptions, "model">;
  await new Trainer({ model: toyModel("classification", 1), ...options }).fit(
    toyData(16, 1, "classification"),
  );
  expect(await readdir(dir)).toEqual(["checkpoint-1", "checkpoint-2", "checkpoint-3"]);
  return { dir, options };
}

describe("resume from the newest valid checkpoint", () => {
  it("skips a truncated newest checkpoint with a warning naming it and why", async () => {
    const { dir } = await threeCheckpoints();
    await writeFile(join(dir, "checkpoint-3", "model.safetensors"), new Uint8Array(10)); // a write cut short
    const warnings: string[] = [];
    const ckpt = await newestValidCheckpoint(dir, (m) => warnings.push(m));
    expect(ckpt.state.step).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("skipped damaged checkpoint(s): checkpoint-3 (");
    expect(warnings[0]).toContain("model.safetensors");
  });

  it("skips a checkpoint with NaN weights; with none valid the error lists each", async () => {
    const { dir } = await threeCheckpoints();
    const model = toyModel("classification", 1);
    const good = await loadTrainingCheckpoint(join(dir, "checkpoint-3"));
    const [name, p] = model.namedParameters()[0]!;
    (p.value.data as Float32Array)[0] = Number.NaN;
    await saveTrainingCheckpoint(join(dir, "checkpoint-3"), { ...good, model });
    const warnings: string[] = [];
    expect((await newestValidCheckpoint(dir, (m) => warnings.push(m))).state.step).toBe(2);
    expect(warnings[0]).toContain(`tensor "${name}" holds NaN at index 0`);
    for (const s of ["checkpoint-1", "checkpoint-2"])
      await writeFile(join(dir, s, "trainer_state.json"), "{");
    const err = await newestValidCheckpoint(dir, () => undefined).catch((e: unknown) => e);
    expect(isTunekitError(err, "CHECKPOINT_INVALID")).toBe(true);
    expect((err as Error).message).toMatch(
      /no valid checkpoint to resume from .*checkpoint-3 \(.*checkpoint-2 \(.*checkpoint-1 \(/,
    );
  });

  it("Trainer.fit({ resumeFrom: 'latest' }) falls back and continues from the older checkpoint", async () => {
    const { dir, options } = await threeCheckpoints();
    await rm(join(dir, "checkpoint-3", "optimizer.safetensors"));
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on("warning", onWarning);
    try {
      const fit = await new Trainer({ model: toyModel("classification", 9), ...options }).fit(
        toyData(16, 1, "classification"),
        { resumeFrom: "latest" },
      );
      expect(fit.resumedFrom?.step).toBe(2);
      expect(fit.step).toBe(3);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.join("\n")).toContain("checkpoint-3 (");
  });
});
