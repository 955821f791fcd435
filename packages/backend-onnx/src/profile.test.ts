import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tk from "@tunekit/core/ir";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { readOnnxProfile, summarizeOnnxProfile } from "./profile.js";
import { f32 } from "./onnx.test-helpers.js";

describe("onnxruntime profiling", () => {
  it("enableProfiling writes a profile; its summary has the graph's op types and run count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tunekit-prof-"));
    try {
      const backend = await createOnnxBackend({
        intraOpNumThreads: 1,
        enableProfiling: true,
        profileFilePrefix: join(dir, "p"),
      });
      const g = tk.trace((gr) => {
        const x = gr.input("x", "float32", [32, 32]);
        return { y: tk.softmax(tk.matmul(x, x), -1) };
      });
      const exe = await backend.compile(g);
      const x = f32(
        [32, 32],
        Array.from({ length: 1024 }, (_, i) => (i % 5) / 5),
      );
      for (let i = 0; i < 3; i++) await exe.run({ x });
      const files = await backend.endProfiling();
      expect(files).toHaveLength(1);
      expect(files[0]!.startsWith(join(dir, "p"))).toBe(true);
      const all = readOnnxProfile(files[0]!);
      expect(all.runs).toBe(3);
      expect(all.byOpType.map((r) => r.opType).sort()).toEqual(["MatMul", "Softmax"]);
      expect(all.byOpType.find((r) => r.opType === "MatMul")!.calls).toBe(3);
      expect(all.byOpType.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 6);
      const later = readOnnxProfile(files[0]!, { skipRuns: 2 });
      expect(later.runs).toBe(1);
      expect(later.byOpType.find((r) => r.opType === "MatMul")!.calls).toBe(1);
      exe.dispose();
      backend.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("endProfiling returns no files when profiling is off", async () => {
    const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
    expect(await backend.endProfiling()).toEqual([]);
    backend.dispose();
  });

  it("summarizeOnnxProfile sums hand-made events by op type and rejects non-arrays", () => {
    const ev = (op: string, dur: number, ts: number) => ({
      cat: "Node",
      name: `${op}_1_kernel_time`,
      dur,
      ts,
      args: { op_name: op },
    });
    const s = summarizeOnnxProfile([
      { cat: "Session", name: "model_run", ts: 0, dur: 10 },
      ev("Gemm", 6, 1),
      ev("Add", 2, 5),
      { cat: "Node", name: "Gemm_1_fence_before", dur: 100, ts: 1, args: { op_name: "Gemm" } },
    ]);
    expect(s).toEqual({
      byOpType: [
        { opType: "Gemm", micros: 6, share: 0.75, calls: 1 },
        { opType: "Add", micros: 2, share: 0.25, calls: 1 },
      ],
      totalMicros: 8,
      runs: 1,
    });
    expect(() => summarizeOnnxProfile({})).toThrow(/expected the JSON array of trace events.*got object/);
  });
});
