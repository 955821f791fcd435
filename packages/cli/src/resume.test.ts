import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

// --resume continues from OUTPUT/checkpoints: the same options continue exactly; changed
// options need --ignore-config-mismatch, and the error says so.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

describe("train --resume", () => {
  it("continues a finished run for more steps only with --ignore-config-mismatch", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-resume-"));
    const base = [
      "train",
      "examples/rte-tiny.json",
      "--set",
      "data.maxRows.train=48",
      "--set",
      "data.maxRows.validation=16",
      "--set",
      "training.maxLength=32",
      "--set",
      "training.batchSize=16",
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

    const changed = await run(["--max-steps", "3", "--resume"]);
    expect(changed.code).toBe(EXIT.runtimeError);
    expect(changed.err).toContain("totalSteps: 2 → 3");
    expect(changed.err).toContain("add --ignore-config-mismatch");

    const more = await run(["--max-steps", "3", "--resume", "--ignore-config-mismatch"]);
    expect(more.code, more.err).toBe(EXIT.ok);
    expect(JSON.parse(more.out).steps).toBe(3);

    // without --resume the run starts over: earlier checkpoints go, the numbers repeat the first run
    const fresh = await run(["--max-steps", "2"]);
    expect(fresh.code, fresh.err).toBe(EXIT.ok);
    expect(fresh.err).toContain("note: removed the checkpoints of an earlier run");
    expect(JSON.parse(fresh.out).trainLoss).toBe(JSON.parse(first.out).trainLoss);

    const misuse = await run(["--ignore-config-mismatch"]);
    expect(misuse.code).toBe(EXIT.usageError);
  });
});
