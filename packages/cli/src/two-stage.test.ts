import { mkdtemp } from "node:fs/promises";
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
