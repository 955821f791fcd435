import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { Trainer } from "./trainer.js";
import type { TrainerProgress } from "./trainer-progress.js";
import { formatProgress, ProgressMeter } from "./trainer-progress.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

describe("Trainer callbacks and progress", () => {
  it("calls hooks in order: onStep, onEvaluate, onCheckpoint, onEpochEnd, onTrainEnd", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-cb-"));
    const events: string[] = [];
    const progress: TrainerProgress[] = [];
    const log = vi.spyOn(console, "log");
    try {
      const trainer = new Trainer({
        model: toyModel("classification", 1),
        backend: createReferenceBackend(),
        batchSize: 8,
        epochs: 2, // 2 updates per epoch
        lr: 1e-3,
        evaluation: { everySteps: 3 },
        checkpoints: { dir, atEpochEnd: true },
        onProgress: (p) => progress.push(p),
        callbacks: [
          {
            onStep: (s) => void events.push(`step ${s.step} epoch ${s.epoch}`),
            onEvaluate: (e) => void events.push(`eval ${e.step}`),
            onCheckpoint: (c) => void events.push(`ckpt ${c.step}${c.isBest ? " best" : ""}`),
            onEpochEnd: (e) => void events.push(`epoch-end ${e.epoch} at ${e.step}`),
            onTrainEnd: (r) => void events.push(`end ${r.step} ${r.stopReason}`),
          },
        ],
      });
      await trainer.fit(toyData(16, 1, "classification"), { evalData: toyData(8, 2, "classification") });
      expect(events).toEqual([
        "step 1 epoch 0",
        "step 2 epoch 0",
        "ckpt 2",
        "epoch-end 0 at 2",
        "step 3 epoch 1",
        "eval 3",
        "ckpt 3 best",
        "step 4 epoch 1",
        "ckpt 4",
        "epoch-end 1 at 4",
        "end 4 epochs",
      ]);
      expect(progress.map((p) => [p.step, p.totalSteps, p.epoch, p.epochs])).toEqual([
        [1, 4, 0, 2],
        [2, 4, 0, 2],
        [3, 4, 1, 2],
        [4, 4, 1, 2],
      ]);
      for (const p of progress) {
        expect(p.tokensPerSecond).toBeGreaterThan(0);
        expect(p.examplesPerSecond).toBeGreaterThan(0);
        expect(Number.isFinite(p.etaSeconds)).toBe(true);
        expect(p.lr).toBeGreaterThan(0);
      }
      expect(progress[3]!.etaSeconds).toBe(0);
      expect(log).not.toHaveBeenCalled(); // nothing printed without a logger
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a callback returning 'stop' ends training after that update; async hooks are awaited", async () => {
    const seen: number[] = [];
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend: createReferenceBackend(),
      batchSize: 8,
      maxSteps: 10,
      callbacks: [
        {
          onStep: async (s) => {
            await new Promise((r) => setTimeout(r, 1));
            seen.push(s.step);
            return s.step === 2 ? "stop" : undefined;
          },
        },
      ],
    });
    const result = await trainer.fit(toyData(32, 1, "classification"));
    expect(seen).toEqual([1, 2]);
    expect(result.stopReason).toBe("callback");
    expect(trainer.step).toBe(2);
  });

  it("trainer.stop() ends fit after the current update with stopReason 'stopped' and a final checkpoint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-stop-"));
    try {
      const trainer: Trainer = new Trainer({
        model: toyModel("classification", 1),
        backend: createReferenceBackend(),
        batchSize: 8,
        maxSteps: 10,
        checkpoints: { dir, everySteps: 100 },
        onProgress: (p) => {
          if (p.step === 3) trainer.stop();
        },
      });
      const result = await trainer.fit(toyData(32, 1, "classification"));
      expect(result.stopReason).toBe("stopped");
      expect(result.step).toBe(3);
      expect(result.lastCheckpoint).toBe(join(dir, "checkpoint-3"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a logger receives progress lines every logEvery updates and evaluation lines", async () => {
    const lines: string[] = [];
    const trainer = new Trainer({
      model: toyModel("classification", 1),
      backend: createReferenceBackend(),
      batchSize: 8,
      maxSteps: 4,
      logEvery: 2,
      logger: (l) => lines.push(l),
    });
    await trainer.fit(toyData(32, 1, "classification"), { evalData: toyData(8, 2, "classification") });
    expect(lines.map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([
      "step 2/4",
      "step 4/4",
      "eval step",
    ]);
    expect(lines[0]).toMatch(
      /^step 2\/4 epoch 1\/1 loss \d\.\d{4} lr \d\.\d\de-\d \d+ tok\/s \d+\.\d ex\/s eta \d+s$/,
    );
  });

  it("ProgressMeter: throughput from the clock, ETA from the mean time per update", () => {
    let now = 0;
    const meter = new ProgressMeter(10, 110, () => now);
    meter.add(1000, 10);
    now = 2000; // 2 s for 10 updates
    const p = meter.progress({ step: 20, epoch: 0, epochs: 1, loss: 0.5, lr: 1e-3 });
    expect(p.tokensPerSecond).toBe(500);
    expect(p.examplesPerSecond).toBe(5);
    expect(p.etaSeconds).toBeCloseTo(18, 12); // 90 updates left at 0.2 s
    expect(formatProgress(p)).toBe("step 20/110 epoch 1/1 loss 0.5000 lr 1.00e-3 500 tok/s 5.0 ex/s eta 18s");
  });

  it("onCheckpointWrite adds files inside the unfinished folder; they are committed with the checkpoint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-cb-"));
    const events: string[] = [];
    try {
      const trainer = new Trainer({
        model: toyModel("classification", 1),
        backend: createReferenceBackend(),
        batchSize: 8,
        epochs: 1,
        lr: 1e-3,
        checkpoints: { dir, atEpochEnd: true },
        callbacks: [
          {
            onCheckpointWrite: async (w) => {
              events.push(`write ${w.step} ${w.dir.endsWith(".tmp") ? "tmp" : w.dir}`);
              await writeFile(join(w.dir, "extra.json"), JSON.stringify({ step: w.step }));
            },
            onCheckpoint: async (c) => {
              events.push(`ckpt ${c.step}`);
              events.push(await readFile(join(c.path, "extra.json"), "utf8"));
            },
          },
        ],
      });
      await trainer.fit(toyData(16, 1, "classification"));
      expect(events).toEqual(["write 2 tmp", "ckpt 2", '{"step":2}']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
