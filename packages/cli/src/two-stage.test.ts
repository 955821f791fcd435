import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensorsFile } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// Two-stage fine-tuning (an intermediate task, then the target) is two `tunekit train` runs:
// the second one's model.path is the first one's model folder. A different label set gets a
// fresh classifier; everything else (encoder and pooler) continues from stage 1.
const SMALL = smallRunFlags({});

async function train(args: readonly string[]): Promise<{ out: string; stderr: string }> {
  const out = await mkdtemp(join(tmpdir(), "tunekit-two-stage-"));
  const io = captureIo({ cwd: REPO });
  const code = await runCli(["train", ...args, ...SMALL, "--output", out, "--json"], io);
  expect(code, io.err()).toBe(EXIT.ok);
  return { out, stderr: io.err() };
}

describe("two-stage fine-tuning through the CLI", () => {
  it("SST-5 (3 classes) then SST-2 (2 classes): stage 2 starts from stage 1's encoder with a fresh head", async () => {
    const stage1 = await train([
      "examples/sst5-3class-tiny.json",
      "--max-steps",
      "3",
      "--set",
      "data.maxRows.train=64",
    ]);
    const stage1Model = join(stage1.out, "model");
    // head-only in stage 2 keeps the encoder frozen, so its saved encoder must equal stage 1's bit for bit
    const stage2 = await train([
      "examples/sst2-tiny.json",
      "--max-steps",
      "2",
      "--set",
      "data.maxRows.train=48",
      "--set",
      `model=${JSON.stringify({ path: stage1Model })}`,
      "--set",
      "strategy=head-only",
    ]);
    expect(stage2.stderr).not.toContain("RANDOM MODEL");
    expect(stage2.stderr).toMatch(
      /loaded \d+ tensors from .*; freshly initialised: classifier\.weight, classifier\.bias/,
    );
    const before = (await readSafetensorsFile(join(stage1Model, "model.safetensors"))).tensors;
    const after = (await readSafetensorsFile(join(stage2.out, "model", "model.safetensors"))).tensors;
    expect(before.get("classifier.weight")!.shape).toEqual([3, 64]);
    expect(after.get("classifier.weight")!.shape).toEqual([2, 64]);
    const encoder = [...before.keys()].filter((k) => !k.startsWith("classifier."));
    expect(encoder.length).toBeGreaterThan(20);
    for (const k of encoder) expect(after.get(k)!.data, k).toEqual(before.get(k)!.data);
  });
});

describe("stages: [...] in one config", () => {
  const tiny = { random: { layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64, seed: 0 } };
  const data = (config: string, train: number) => ({
    config: join(REPO, "examples/data", config),
    baseDir: REPO,
    maxRows: { train, validation: 32 },
  });
  const write = async (
    dir: string,
    stages: unknown[],
    extra: Record<string, unknown> = {},
  ): Promise<string> => {
    const path = join(dir, "stages.json");
    const config = {
      model: tiny,
      tokenizer: join(REPO, "examples/models/bert-4l-h128"),
      training: { lr: 1e-3, maxSteps: 4, batchSize: 8, maxLength: 32, seed: 1 },
      stages,
      output: join(dir, "run"),
      ...extra,
    };
    await writeFile(path, JSON.stringify(config));
    return path;
  };

  it("trains each stage from the previous one, reports each stage and what stage 1 forgot; --resume skips finished stages", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-stages-"));
    const config = await write(dir, [
      { name: "sst5", data: data("sst5.json", 64) },
      { name: "sst2", data: data("sst2.json", 48), training: { maxSteps: 3 } },
    ]);
    const io = captureIo({ cwd: REPO });
    expect(await runCli(["train", config, "--json"], io), io.err()).toBe(EXIT.ok);
    const report = JSON.parse(io.out()) as {
      stages: { name: string; steps: number; metric: string; score: number }[];
      forgetting: { metric: string; after: number; final: number; forgotten: number };
    };
    expect(report.stages.map((s) => [s.name, s.steps, s.metric])).toEqual([
      ["sst5", 4, "accuracy"],
      ["sst2", 3, "accuracy"],
    ]);
    expect(report.forgetting.after).toBe(report.stages[0]!.score);
    expect(report.forgetting.forgotten).toBeCloseTo(report.forgetting.after - report.forgetting.final, 12);
    // stage 2 started from stage 1's encoder: its checkpoint log names stage 1's model folder
    expect(io.err()).toMatch(/loaded \d+ tensors from .*stage-1-sst5.model; freshly initialised: classifier/);
    const again = captureIo({ cwd: REPO });
    expect(await runCli(["train", config, "--resume", "--json"], again), again.err()).toBe(EXIT.ok);
    expect(again.err()).toMatch(/stage 1\/2 sst5: already trained .*skipped/);
    expect(again.err()).toMatch(/stage 2\/2 sst2: already trained .*skipped/);
  });

  it("refuses an intermediate stage whose adapters the next stage cannot start from, and data at the top level", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-stages-"));
    const io = captureIo({ cwd: REPO });
    const prefix = { method: "prefix-tuning", numVirtualTokens: 4 };
    const bad = await write(dir, [
      { name: "a", data: data("sst5.json", 16), strategy: prefix },
      { name: "b", data: data("sst2.json", 16) },
    ]);
    expect(await runCli(["train", bad], io)).toBe(EXIT.usageError);
    expect(io.err()).toMatch(
      /stages\[0\]\.strategy .*a strategy the next stage can start from: full, head-only, bitfit, lora/,
    );
    const io2 = captureIo({ cwd: REPO });
    const top = await write(dir, [{ name: "a" }, { name: "b" }], { data: data("sst2.json", 8) });
    expect(await runCli(["train", top], io2)).toBe(EXIT.usageError);
    expect(io2.err()).toMatch(/data .*to be left out when stages is given/);
  });
});
