import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tk from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { resolveExecutionProviders } from "./providers.js";
import { expectClose, f32 } from "./onnx.test-helpers.js";

const graph = () =>
  tk.trace((g) => {
    const x = g.input("x", "float32", [2, 2]);
    return { y: tk.add(tk.matmul(x, x), 1), z: tk.mul(x, 2) };
  });
const x = f32([2, 2], [1, 2, 3, 4]);

describe("session options pass through to onnxruntime", () => {
  it("parallel execution, inter-op threads, no arena, memory pattern on, extra config: same results", async () => {
    const backend = await createOnnxBackend({
      executionProviders: [{ name: "cpu" }],
      intraOpNumThreads: 1,
      interOpNumThreads: 2,
      executionMode: "parallel",
      enableCpuMemArena: false,
      enableMemPattern: true,
      graphOptimizationLevel: "basic",
      extra: { "session.intra_op.allow_spinning": "0" },
    });
    expect(backend.name).toBe("onnx-cpu");
    const exe = await backend.compile(graph());
    const r = await exe.run({ x });
    expectClose(r.y, [2, 2], [8, 11, 16, 23]); // x·x + 1 by hand
    expectClose(r.z, [2, 2], [2, 4, 6, 8]);
    backend.dispose();
  });

  it("optimizedModelFilePath writes the optimised model when the session is created", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tunekit-opt-"));
    try {
      const file = join(dir, "opt.onnx");
      const backend = await createOnnxBackend({ intraOpNumThreads: 1, optimizedModelFilePath: file });
      const exe = await backend.compile(graph());
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).size).toBeGreaterThan(50);
      expectClose((await exe.run({ x })).y, [2, 2], [8, 11, 16, 23]);
      backend.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a provider this build does not know: falls back to cpu with a message saying why", async () => {
    const messages: string[] = [];
    const backend = await createOnnxBackend({
      executionProviders: [{ name: "no-such-ep" }],
      log: (m) => messages.push(m),
    });
    expect(backend.name).toBe("onnx-cpu");
    expect(backend.executionProviders).toEqual(["cpu"]);
    expect(messages.join("\n")).toMatch(
      /"no-such-ep" is not available: this onnxruntime-node build does not know it/,
    );
    expect(messages.join("\n")).toMatch(/falling back to the cpu provider/);
    expectClose((await (await backend.compile(graph())).run({ x })).y, [2, 2], [8, 11, 16, 23]);
    backend.dispose();
  });

  it('fallback: "error" fails at creation, naming the provider and the way out', async () => {
    await expect(
      createOnnxBackend({ executionProviders: [{ name: "no-such-ep" }], fallback: "error" }),
    ).rejects.toThrow(/"no-such-ep" is not available.*drop fallback: "error" to run on the CPU/);
  });

  it("cuda and webgpu: used where they start, otherwise dropped with the reason (this CPU machine: dropped)", async () => {
    const resolved = await resolveExecutionProviders([{ name: "cuda", deviceId: 0 }, "webgpu"]);
    const names = resolved.providers.map((p) => (typeof p === "string" ? p : p.name));
    expect(names.at(-1)).toBe("cpu");
    for (const ep of ["cuda", "webgpu"]) {
      if (names.includes(ep)) continue; // a machine where it starts
      const message = resolved.dropped.find((m) => m.includes(`"${ep}" is not available`));
      expect(message).toBeDefined();
      if (ep === "cuda") expect(message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12|could not start it/);
    }
  });

  it("TUNEKIT_ONNX_PROVIDERS sets the default providers (a missing one falls back with its message)", async () => {
    const before = process.env.TUNEKIT_ONNX_PROVIDERS;
    process.env.TUNEKIT_ONNX_PROVIDERS = "no-such-ep, cpu";
    try {
      const messages: string[] = [];
      const backend = await createOnnxBackend({ log: (m) => messages.push(m) });
      expect(backend.executionProviders).toEqual(["cpu"]);
      expect(messages.join("\n")).toMatch(/"no-such-ep" is not available/);
      backend.dispose();
    } finally {
      if (before === undefined) delete process.env.TUNEKIT_ONNX_PROVIDERS;
      else process.env.TUNEKIT_ONNX_PROVIDERS = before;
    }
  });

  it("an empty provider list or an entry without a name is an INVALID_ARGUMENT", async () => {
    await expect(resolveExecutionProviders([])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(resolveExecutionProviders([{ name: "" }])).rejects.toThrow(/must be a provider name/);
  });
});
