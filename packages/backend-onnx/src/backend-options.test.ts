import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tk from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
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

  it("an unknown execution provider fails at compile with onnxruntime's reason", async () => {
    const backend = await createOnnxBackend({ executionProviders: [{ name: "no-such-ep" }] });
    expect(backend.name).toBe("onnx-no-such-ep");
    await expect(backend.compile(graph())).rejects.toThrow(/onnxruntime rejected the lowered model/);
    backend.dispose();
  });
});
