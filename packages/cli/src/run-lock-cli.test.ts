import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { LOCK_FILE } from "./setup/run-lock.js";
import { captureIo } from "./testing/capture-io.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// Two runs on one output folder: the second is refused before it touches anything (it used
// to delete the first one's checkpoints and both exited 0).
describe("train: the output folder's run lock", () => {
  it("refuses a second run while a live process holds the lock; the lock goes when a run ends", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-lock-cli-"));
    const holder = {
      pid: process.ppid,
      hostname: hostname(),
      command: "tunekit train first.json",
      startedAt: "2026-01-01T00:00:00.000Z",
      token: "t",
    };
    await writeFile(join(out, LOCK_FILE), JSON.stringify(holder));
    const args = [
      "train",
      "examples/sst2-tiny.json",
      ...smallRunFlags({ train: 32 }),
      "--max-steps",
      "1",
      "--output",
      out,
    ];
    const io = captureIo({ cwd: REPO });
    expect(await runCli(args, io)).toBe(EXIT.runtimeError);
    expect(io.err()).toContain("error [RUN_LOCKED]");
    expect(io.err()).toContain(`pid ${process.ppid}`);
    expect(io.err()).toContain("--break-lock");
    expect(await readdir(out)).toEqual([LOCK_FILE]); // nothing trained, nothing written

    const broken = captureIo({ cwd: REPO });
    expect(await runCli([...args, "--break-lock"], broken), broken.err()).toBe(EXIT.ok);
    expect(broken.err()).toContain("--break-lock: took over the run lock");
    expect(await readdir(out)).not.toContain(LOCK_FILE);
  });

  it("an output folder that cannot be written is a typed error before any data is loaded or step trained", async () => {
    const parent = await mkdtemp(join(tmpdir(), "tunekit-lock-cli-"));
    await writeFile(join(parent, "file"), "x");
    const io = captureIo({ cwd: REPO });
    const args = [
      "train",
      "examples/sst2-tiny.json",
      "--max-steps",
      "1",
      "--output",
      join(parent, "file", "run"),
    ];
    expect(await runCli(args, io)).toBe(EXIT.runtimeError);
    expect(io.err()).toContain("error [OUTPUT_NOT_WRITABLE]: the output folder");
    expect(io.err()).toContain("(ENOTDIR)");
    expect(io.err()).not.toContain("strategy"); // failed before the model and the data
  });
});
