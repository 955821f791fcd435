import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../data/random.js";
import { isTunekitError } from "../errors.js";
import { writeSafetensorsFile } from "../io/safetensors-file.js";
import { adamw } from "../optim/adamw.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { toyModel } from "../testing/trainer-fixtures.js";
import {
  checkpointName,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
} from "./checkpoint-rotation.js";
import { configDifferences, configHash, stableStringify } from "./config-hash.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "./training-checkpoint.js";
import { TRAINER_STATE_FORMAT, type TrainerStateJson } from "./trainer-state.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tunekit-ckpt-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const state: TrainerStateJson = {
  format: TRAINER_STATE_FORMAT,
  version: 1,
  step: 4,
  microStep: 0,
  epoch: 1,
  batchInEpoch: 2,
  rng: { seed: 42, epoch: 1 },
  schedule: { name: "linear", completedSteps: 4, totalSteps: 10 },
  best: { metric: "loss", mode: "min", best: 0.5, bestStep: 2, sinceBest: 1 },
  bestCheckpoint: "checkpoint-2",
  earlyStopping: null,
  configHash: "abc",
  config: { lr: 1e-3 },
  trainableParameters: ["classifier.bias"],
  evaluations: [{ step: 2, epoch: 0, loss: 0.5, metrics: { accuracy: 0.75 }, numExamples: 8 }],
};

async function writeOne(folder: string) {
  const model = toyModel("classification", 1);
  const bias = model.namedParameters().find(([n]) => n === "classifier.bias")![1];
  await saveTrainingCheckpoint(folder, {
    model,
    optimizer: {
      "classifier.bias::m": hostTensor("float32", [2], [0.25, -1]),
      "classifier.bias::v": hostTensor("float32", [2], [1, 2]),
    },
    accumulators: { "classifier.bias::grad_acc": hostTensor("float32", [2], [3, 4]) },
    optimizerConfig: adamw({ weightDecay: 0.1 }).config,
    state,
  });
  return { model, bias };
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isTunekitError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error("expected an error");
}

describe("training checkpoints: save and load", () => {
  it("round-trips weights, optimizer state, accumulators, optimizer config and trainer state", async () => {
    const folder = join(dir, "checkpoint-4");
    const { model } = await writeOne(folder);
    expect((await readdir(folder)).sort()).toEqual([
      "config.json",
      "model.safetensors",
      "optimizer.safetensors",
      "trainable.safetensors",
      "trainer_state.json",
    ]);
    const ckpt = await loadTrainingCheckpoint(folder);
    for (const [name, p] of model.namedParameters()) expect(ckpt.model.get(name)!.data).toEqual(p.value.data);
    expect(ckpt.optimizer["classifier.bias::m"]!.data).toEqual(Float32Array.of(0.25, -1));
    expect(Object.keys(ckpt.accumulators)).toEqual(["classifier.bias::grad_acc"]);
    expect(ckpt.optimizerConfig).toEqual(adamw({ weightDecay: 0.1 }).config);
    expect(ckpt.state).toEqual(state);
    expect(ckpt.config?.hidden_size).toBe(16);
  });

  it("is atomic: no temporary folder is left, and saving again replaces the folder", async () => {
    const folder = join(dir, "checkpoint-4");
    await writeOne(folder);
    await writeFile(join(folder, "stale.txt"), "old");
    await writeOne(folder);
    expect(await readdir(dir)).toEqual(["checkpoint-4"]);
    expect(await readdir(folder)).not.toContain("stale.txt");
  });

  it("a missing folder or file, bad JSON, wrong format and damaged safetensors are CHECKPOINT_INVALID naming the file", async () => {
    const folder = join(dir, "checkpoint-4");
    expect(await errorOf(loadTrainingCheckpoint(folder))).toEqual({
      code: "CHECKPOINT_INVALID",
      message: `${folder} is not a folder; pass a checkpoint folder such as runs/x/checkpoint-100`,
    });
    await writeOne(folder);
    const statePath = join(folder, "trainer_state.json");
    const original = await readFile(statePath, "utf8");
    await writeFile(statePath, "{ not json");
    const badJson = await errorOf(loadTrainingCheckpoint(folder));
    expect(badJson.code).toBe("CHECKPOINT_INVALID");
    expect(badJson.message).toMatch(new RegExp(`^${statePath} is not valid JSON`));
    await writeFile(statePath, JSON.stringify({ ...state, step: -1 }));
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toBe(
      `${statePath}: step is -1, expected a non-negative integer; the checkpoint is damaged or not written by the tunekit Trainer`,
    );
    await writeFile(
      statePath,
      JSON.stringify({ ...state, evaluations: [{ step: 2, loss: 0.5, metrics: null }] }),
    );
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toContain(
      `${statePath}: evaluations[0]: metrics is null, expected an object of numbers`,
    );
    await writeFile(statePath, JSON.stringify({ ...state, format: "hf-trainer" }));
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toContain(
      `${statePath}: format is "hf-trainer", expected "tunekit-trainer-state"`,
    );
    await writeFile(statePath, JSON.stringify({ ...state, trainableParameters: ["nope.weight"] }));
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toBe(
      `${statePath}: trainable parameter "nope.weight" is not in model.safetensors`,
    );
    await writeFile(statePath, original);
    const modelPath = join(folder, "model.safetensors");
    await truncate(modelPath, 100);
    const truncated = await errorOf(loadTrainingCheckpoint(folder));
    expect(truncated.code).toBe("CHECKPOINT_INVALID");
    expect(truncated.message).toMatch(new RegExp(`^${modelPath} is not a valid safetensors file: `));
    await rm(modelPath);
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toMatch(
      new RegExp(`^${modelPath} is missing; a training checkpoint folder holds model.safetensors, `),
    );
  });

  it("optimizer tensors must name a model parameter and carry the optimizer config", async () => {
    const folder = join(dir, "checkpoint-4");
    await writeOne(folder);
    const optPath = join(folder, "optimizer.safetensors");
    await writeSafetensorsFile(
      optPath,
      { "ghost.weight::m": hostTensor("float32", [1]) },
      { optimizer_config: "{}" },
    );
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toBe(
      `${optPath}: metadata "optimizer_config" is "{}", expected the optimizer config as JSON`,
    );
    await writeSafetensorsFile(
      optPath,
      { "ghost.weight::m": hostTensor("float32", [1]) },
      {
        optimizer_config: JSON.stringify(adamw().config),
      },
    );
    expect((await errorOf(loadTrainingCheckpoint(folder))).message).toBe(
      `${optPath}: tensor "ghost.weight::m" names no parameter of model.safetensors; expected "<parameter>::<slot>"`,
    );
  });
});

describe("checkpoint rotation and config hashing", () => {
  it("lists checkpoint-<step> folders by step and prunes all but the last K and the best", async () => {
    for (const step of [10, 2, 30, 4]) await mkdir(join(dir, checkpointName(step)));
    await mkdir(join(dir, "checkpoint-x"));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([2, 4, 10, 30]);
    expect(await latestCheckpoint(dir)).toBe(join(dir, "checkpoint-30"));
    expect(await pruneCheckpoints(dir, 1, "checkpoint-4")).toEqual(["checkpoint-2", "checkpoint-10"]);
    expect((await readdir(dir)).sort()).toEqual(["checkpoint-30", "checkpoint-4", "checkpoint-x"]);
    expect(await latestCheckpoint(join(dir, "missing"))).toBeUndefined();
  });

  it("hashes configs independently of key order and names the differences", () => {
    expect(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }], u: undefined })).toBe(
      '{"a":[2,{"c":4,"d":3}],"b":1}',
    );
    expect(configHash({ a: 1, b: 2 })).toBe(configHash({ b: 2, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(configHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
    expect(configDifferences({ lr: 1, seed: 2, x: [1] }, { lr: 1, seed: 3, y: true })).toEqual([
      "seed: 2 → 3",
      "x: [1] → (not set)",
      "y: (not set) → true",
    ]);
  });
});

describe("training checkpoints: hostile input", () => {
  it("seeded byte mutations of every file load or throw CHECKPOINT_INVALID, never anything else", async () => {
    const folder = join(dir, "checkpoint-4");
    await writeOne(folder);
    const files = ["trainer_state.json", "optimizer.safetensors", "model.safetensors", "config.json"];
    const originals = new Map<string, Buffer>();
    for (const f of files) originals.set(f, await readFile(join(folder, f)));
    const rng = mulberry32(7);
    const codes = new Map<string, number>();
    for (let trial = 0; trial < 120; trial++) {
      const file = files[trial % files.length]!;
      const bytes = Buffer.from(originals.get(file)!);
      // mutate the header / JSON region most of the time, where parsing decisions are made
      const span = file.endsWith(".json") ? bytes.length : Math.min(bytes.length, 600);
      const flips = 1 + Math.floor(rng() * 4);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rng() * span)] = Math.floor(rng() * 256);
      await writeFile(
        join(folder, file),
        rng() < 0.15 ? bytes.subarray(0, Math.floor(rng() * bytes.length)) : bytes,
      );
      try {
        await loadTrainingCheckpoint(folder);
        codes.set("ok", (codes.get("ok") ?? 0) + 1);
      } catch (e) {
        if (!isTunekitError(e)) throw new Error(`trial ${trial} (${file}): ${String(e)}`);
        expect(e.code).toBe("CHECKPOINT_INVALID");
        expect(e.message).toContain(folder);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      await writeFile(join(folder, file), originals.get(file)!);
    }
    expect(codes.get("CHECKPOINT_INVALID") ?? 0).toBeGreaterThan(30);
  });

  it("a save that cannot write throws IO_ERROR and leaves no temporary folder", async () => {
    await writeFile(join(dir, "blocked"), "a file where the checkpoint folder's parent should be");
    const error = await errorOf(writeOne(join(dir, "blocked", "checkpoint-1")));
    expect(error.code).toBe("IO_ERROR");
    expect(error.message).toContain(join(dir, "blocked", "checkpoint-1"));
    expect(await readdir(dir)).toEqual(["blocked"]);
  });
});
