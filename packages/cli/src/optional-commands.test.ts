import { describe, expect, it } from "vitest";
import { loadOptionalCommand, OPTIONAL_COMMANDS } from "./optional-commands.js";
import { runCli } from "./run-cli.js";
import { captureIo } from "./testing/capture-io.js";

describe("optional commands", () => {
  it("load submit / worker / jobs from @tunekit/jobs and list them in --help", async () => {
    expect(OPTIONAL_COMMANDS.map((c) => c.name)).toEqual(["submit", "worker", "jobs"]);
    for (const c of OPTIONAL_COMMANDS) expect((await loadOptionalCommand(c.name))?.name).toBe(c.name);
    expect(await loadOptionalCommand("train")).toBeUndefined();
    const io = captureIo();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(io.out()).toMatch(/\n {2}worker +run queued training jobs/);
    const usage = captureIo();
    expect(await runCli(["worker"], usage)).toBe(2);
    expect(usage.err()).toContain("worker needs --storage DIR");
    expect(usage.err()).toContain("usage: tunekit worker --storage DIR");
  });

  it("say what to install when the package is missing; other load errors pass through", async () => {
    const missing = Object.assign(new Error("Cannot find package '@tunekit/jobs' imported from x"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    await expect(loadOptionalCommand("submit", () => Promise.reject(missing))).rejects.toThrow(
      "tunekit submit comes from the optional package @tunekit/jobs, which is not installed; install it next to the CLI (npm install @tunekit/jobs)",
    );
    const broken = new SyntaxError("Unexpected token");
    await expect(loadOptionalCommand("jobs", () => Promise.reject(broken))).rejects.toBe(broken);
    await expect(loadOptionalCommand("jobs", () => Promise.resolve({}))).rejects.toThrow(
      "@tunekit/jobs does not provide tunekit jobs",
    );
  });
});
