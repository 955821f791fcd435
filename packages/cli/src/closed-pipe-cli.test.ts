import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { smallRunFlags } from "./testing/small-run.js";
import { spawnCli } from "./testing/spawn-cli.js";

// `tunekit train … 2>&1 | head -3`: the reader goes away after a few lines. The run used to
// die with an unhandled `write EPIPE` (exit 1, nothing saved); it must finish and save.
describe("train: a log pipe closed by its reader", () => {
  it("finishes the run (exit 0) and writes every file after stdout and stderr are closed", async () => {
    const out = await mkdtemp(join(tmpdir(), "tunekit-epipe-"));
    const child = spawnCli([
      "train",
      "examples/sst2-tiny.json",
      ...smallRunFlags({ train: 64, validation: 16 }),
      "--max-steps",
      "30",
      "--output",
      out,
    ]);
    let seen = "";
    const closeAfterFirstLines = (d: Buffer): void => {
      seen += d.toString();
      if (seen.split("\n").length > 3) {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }
    };
    child.stdout!.on("data", closeAfterFirstLines);
    child.stderr!.on("data", closeAfterFirstLines);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, seen).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      "checkpoints",
      "confusion-matrix.svg",
      "metrics.json",
      "model",
      "tunekit-run.json",
    ]);
  });
});
