import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { LOCK_FILE } from "./setup/run-lock.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";
import { spawnCli } from "./testing/spawn-cli.js";

/** Resolves when `pattern` appears in the child's stderr; rejects when it exits first. */
function waitForStderr(child: ChildProcess, pattern: RegExp, seen: { text: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(seen.text)) resolve();
    };
    child.stderr!.on("data", check);
    child.on("exit", () => reject(new Error(`exited before ${pattern}: ${seen.text}`)));
    check();
  });
}

// A real process gets a real SIGINT mid-training: it must save a checkpoint at the next step
// boundary, say how to resume, exit 130 and leave no lock; the checkpoint then resumes.
describe("train: SIGINT in a real process", () => {
  it("saves a checkpoint, prints the --resume command, exits 130; --resume continues from it", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-sigint-"));
    const args = [
      "train",
      "examples/sst2-tiny.json",
      ...smallRunFlags({ train: 32, validation: 16 }),
      "--epochs",
      "100000",
      "--max-steps",
      "100000",
      "--output",
      out,
    ];
    const child = spawnCli(args);
    const seen = { text: "" };
    let stdout = "";
    child.stderr!.on("data", (d: Buffer) => {
      seen.text += d.toString();
    });
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitForStderr(child, /step 10\/100000/, seen);
    child.kill("SIGINT");
    const code = await exited;
    expect(code, seen.text).toBe(130);
    expect(seen.text).toContain("SIGINT: stopping after the current step and saving a checkpoint");
    const stoppedAt = Number(/stopped by SIGINT after step (\d+)/.exec(seen.text)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(10);
    expect(seen.text).toContain(`checkpoint saved to `);
    expect(seen.text).toContain("--output");
    expect(seen.text).toMatch(/tunekit train examples\/sst2-tiny\.json .*--resume\n/);
    expect(stdout).toBe("");
    expect(await readdir(join(out, "checkpoints"))).toContain(`checkpoint-${stoppedAt}`);
    expect(await stat(join(out, LOCK_FILE)).catch(() => undefined)).toBeUndefined();

    const io = captureIo({ cwd: REPO });
    const resumed = await runCli(
      [
        ...args.slice(0, -4),
        "--max-steps",
        String(stoppedAt + 1),
        "--output",
        out,
        "--resume",
        "--ignore-config-mismatch",
        "--json",
      ],
      io,
    );
    expect(resumed, io.err()).toBe(EXIT.ok);
    expect(JSON.parse(io.out()).steps).toBe(stoppedAt + 1);
  });
});
