import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { crashTest } from "./testing/crash-run.js";
import { REPO, smallRunFlags } from "./testing/small-run.js";

// `kill -9` at any moment, a checkpoint write included, then `--resume`: the final weights, the
// last checkpoint (weights and AdamW state) and the mean train loss equal an uninterrupted
// run's byte for byte, and no unfinished write or lock stays behind. The long version is
// scripts/crash-test.ts (50 kills by default).
describe("train: kill -9 and --resume", () => {
  it("three kills (the first during a checkpoint write) leave weights identical to an uninterrupted run", async () => {
    const lines: string[] = [];
    const r = await crashTest({
      kills: 3,
      seed: 7, // the first kill is aimed at a checkpoint write, the next two at random moments
      checkpointShare: 0.5,
      aimedDelayMaxMs: 0,
      trainArgs: [
        "train",
        "examples/sst2-tiny.json",
        ...smallRunFlags({ train: 32, validation: 16 }),
        "--epochs",
        "3",
      ],
      command: [
        process.execPath,
        "--import",
        "tsx",
        "--conditions=@tunekit/source",
        join(REPO, "packages/cli/src/bin.ts"),
      ],
      log: (line) => lines.push(line),
    });
    expect(r.problems, lines.join("\n")).toEqual([]);
    expect(r.identical).toBe(true);
    expect(r.kills).toBe(3);
    expect(r.sites["checkpoint write"], lines.join("\n")).toBeGreaterThanOrEqual(1);
    expect(r.runs).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
