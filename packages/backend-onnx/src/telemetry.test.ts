import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { disableOnnxTelemetry, ORT_TELEMETRY_ENV } from "./telemetry.js";

// A child process runs one session; without ORT_DISABLE_TELEMETRY onnxruntime-node's Linux
// build leaves a mat-debug-<pid>.log in the temp folder behind for every process (246 had piled up).
const SCRIPT = `
import * as tk from "@tunekit/core/ir";
import { createOnnxBackend } from "./backend.ts";
const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
const g = tk.trace((g) => ({ y: tk.mul(g.input("x", "float32", [2]), 2) }));
const exe = await backend.compile(g);
const r = await exe.run({ x: { dtype: "float32", shape: [2], data: Float32Array.of(1, 2) } });
if (r.y.data[1] !== 4) throw new Error("wrong result");
exe.dispose();
backend.dispose();
`;

function runChild(env: NodeJS.ProcessEnv): number {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=@tunekit/source", "--input-type=module", "-e", SCRIPT],
    { cwd: fileURLToPath(new URL(".", import.meta.url)), env, encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.pid!;
}

/** `mat-debug-<pid>.log` files of `pid` in the temporary folders onnxruntime may use. */
async function litter(pid: number): Promise<string[]> {
  const folders = [...new Set([tmpdir(), "/tmp"])];
  const names = await Promise.all(folders.map((d) => readdir(d).catch(() => [] as string[])));
  return names.flat().filter((n) => n === `mat-debug-${pid}.log`);
}

describe("onnxruntime telemetry", () => {
  it("is off once the backend loads, unless the user set the variable", () => {
    const env: NodeJS.ProcessEnv = {};
    disableOnnxTelemetry(env);
    expect(env[ORT_TELEMETRY_ENV]).toBe("1");
    const kept: NodeJS.ProcessEnv = { [ORT_TELEMETRY_ENV]: "0" };
    disableOnnxTelemetry(kept);
    expect(kept[ORT_TELEMETRY_ENV]).toBe("0");
  });

  it("a process that ran a session leaves no mat-debug-<pid>.log", async () => {
    const env = { ...process.env };
    delete env[ORT_TELEMETRY_ENV];
    const pid = runChild(env);
    expect(await litter(pid)).toEqual([]);
  });
});
