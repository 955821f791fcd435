import { cp, mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";
import { smallRunFlags } from "./testing/small-run.js";

// --resume continues from OUTPUT/checkpoints: the same options continue exactly; changed
// options need --ignore-config-mismatch, and the error says so.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

describe("train --resume", () => {
  it("continues a finished run for more steps only with --ignore-config-mismatch", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
    const base = [
      "train",
      "examples/rte-tiny.json",
      ...smallRunFlags({ train: 48, validation: 16 }),
      "--output",
      out,
      "--json",
    ];
    const run = async (extra: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = captureIo({ cwd: REPO });
      const code = await runCli([...base, ...extra], io);
      return { code, out: io.out(), err: io.err() };
    };
    const first = await run(["--max-steps", "2"]);
    expect(first.code, first.err).toBe(EXIT.ok);
    expect(JSON.parse(first.out).steps).toBe(2);

    const same = await run(["--max-steps", "2", "--resume"]);
    expect(same.code, same.err).toBe(EXIT.ok);
    expect(JSON.parse(same.out).steps).toBe(2); // nothing left to do
    expect(JSON.parse(same.out).trainLoss).toBe(JSON.parse(first.out).trainLoss); // was null

    const changed = await run(["--max-steps", "3", "--resume"]);
    expect(changed.code).toBe(EXIT.runtimeError);
    expect(changed.err).toContain("totalSteps: 2 → 3");
    expect(changed.err).toContain("add --ignore-config-mismatch");

    const more = await run(["--max-steps", "3", "--resume", "--ignore-config-mismatch"]);
    expect(more.code, more.err).toBe(EXIT.ok);
    expect(JSON.parse(more.out).steps).toBe(3);

    // without --resume a new run refuses the earlier checkpoints; --overwrite starts over and
    // the numbers repeat the first run
    const refused = await run(["--max-steps", "2"]);
    expect(refused.code).toBe(EXIT.runtimeError);
    expect(refused.err).toContain("error [OUTPUT_EXISTS]");
    expect(refused.err).toContain("Continue that run with --resume, pass --overwrite");
    expect(await readdir(join(out, "checkpoints"))).toEqual(["checkpoint-3"]);
    const fresh = await run(["--max-steps", "2", "--overwrite"]);
    expect(fresh.code, fresh.err).toBe(EXIT.ok);
    expect(fresh.err).toContain("note: --overwrite: deleted");
    expect(JSON.parse(fresh.out).trainLoss).toBe(JSON.parse(first.out).trainLoss);
    expect((await run(["--overwrite", "--resume"])).code).toBe(EXIT.usageError);

    const misuse = await run(["--ignore-config-mismatch"]);
    expect(misuse.code).toBe(EXIT.usageError);
  });

  it("trainLoss of a run stopped and resumed equals the uninterrupted run's (every step, not the resumed ones)", async () => {
    const constant = ["--set", "training.schedule=constant", "--set", "training.warmupRatio=0"];
    const args = [
      "train",
      "examples/rte-tiny.json",
      ...smallRunFlags({ train: 64, validation: 16 }),
      ...constant,
      "--json",
    ];
    const run = async (extra: string[]): Promise<Record<string, unknown>> => {
      const io = captureIo({ cwd: REPO });
      expect(await runCli([...args, ...extra], io), io.err()).toBe(EXIT.ok);
      return JSON.parse(io.out()) as Record<string, unknown>;
    };
    const whole = await run(["--max-steps", "4", "--output", await mkdtemp(join(tmpdir(), "tunekit-loss-"))]);
    const out = await mkdtemp(join(tmpdir(), "tunekit-loss-"));
    await run(["--max-steps", "2", "--output", out]);
    const resumed = await run(["--max-steps", "4", "--output", out, "--resume", "--ignore-config-mismatch"]);
    expect(resumed.steps).toBe(4);
    expect(resumed.trainLoss).toBe(whole.trainLoss); // bit for bit: the saved sum continues in step order
  });

  it("--resume skips a damaged newest checkpoint with a warning and continues from the newest valid one", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
    const args = [
      "train",
      "examples/rte-tiny.json",
      ...smallRunFlags({ train: 32, validation: 16 }),
      "--output",
      out,
    ];
    const first = captureIo({ cwd: REPO });
    expect(await runCli([...args, "--max-steps", "2"], first), first.err()).toBe(EXIT.ok);
    const ckpts = join(out, "checkpoints");
    await cp(join(ckpts, "checkpoint-2"), join(ckpts, "checkpoint-3"), { recursive: true });
    await writeFile(join(ckpts, "checkpoint-3", "model.safetensors"), new Uint8Array(8)); // cut short
    const io = captureIo({ cwd: REPO });
    expect(await runCli([...args, "--max-steps", "2", "--resume", "--json"], io), io.err()).toBe(EXIT.ok);
    expect(io.err()).toContain("warning: --resume: skipped damaged checkpoint(s) checkpoint-3 (");
    expect(io.err()).toMatch(/resuming from the newest valid one, .*checkpoint-2/);
    expect(JSON.parse(io.out()).steps).toBe(2);
  });

  it("after a kill during the first checkpoint write, --resume removes the .tmp folder and starts at step 0", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
    const partial = join(out, "checkpoints", ".checkpoint-2.4242.0a1b2c3d.tmp");
    await mkdir(partial, { recursive: true });
    await writeFile(join(partial, "model.safetensors"), new Uint8Array(100)); // cut short by the kill
    const io = captureIo({ cwd: REPO });
    const args = ["train", "examples/rte-tiny.json", ...smallRunFlags({ train: 32, validation: 16 })];
    const code = await runCli([...args, "--max-steps", "2", "--output", out, "--resume", "--json"], io);
    expect(code, io.err()).toBe(EXIT.ok);
    expect(io.err()).toContain("removed 1 unfinished write(s) of an interrupted run");
    expect(io.err()).toContain("--resume: no complete checkpoint in");
    expect(JSON.parse(io.out()).steps).toBe(2);
    expect(await readdir(join(out, "checkpoints"))).toEqual(["checkpoint-2"]);
  });
});
