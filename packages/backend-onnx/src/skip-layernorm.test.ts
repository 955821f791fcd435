import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tk from "@tunekit/core/ir";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";

const dir = mkdtempSync(join(tmpdir(), "tunekit-skipln-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `layerNorm(x + y)`, the residual pattern onnxruntime fuses into SkipLayerNormalization. */
function residualNorm(): tk.Graph {
  const g = new tk.Graph();
  const x = g.input("x", "float32", [4, 8, 16]);
  const y = g.input("y", "float32", [4, 8, 16]);
  const gamma = tk.constant(
    g,
    "float32",
    [16],
    Float32Array.from({ length: 16 }, (_, i) => 1 + i / 16),
  );
  const beta = tk.constant(
    g,
    "float32",
    [16],
    Float32Array.from({ length: 16 }, (_, i) => i / 32 - 0.25),
  );
  g.output("out", tk.layerNorm(tk.add(x, y), gamma, beta, 1e-5));
  return g;
}

const feeds = () => {
  const v = (seed: number) => Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.37 + seed));
  return { x: tk.hostTensor("float32", [4, 8, 16], v(1)), y: tk.hostTensor("float32", [4, 8, 16], v(2)) };
};

async function optimized(extra?: Record<string, unknown>) {
  const path = join(dir, `model-${extra === undefined ? "default" : "all"}.onnx`);
  const backend = await createOnnxBackend({
    intraOpNumThreads: 1,
    optimizedModelFilePath: path,
    ...(extra ? { extra } : {}),
  });
  const exe = await backend.compile(residualNorm());
  const { out } = await exe.run(feeds());
  backend.dispose();
  return { ops: readFileSync(path).toString("latin1"), out: out!.data };
}

describe("onnx backend: SkipLayerNormFusion off by default", () => {
  it("keeps Add + LayerNormalization unless extra re-enables the fusion; same outputs (1e-5)", async () => {
    const def = await optimized();
    expect(def.ops).toContain("LayerNormalization");
    expect(def.ops).not.toContain("SkipLayerNormalization");
    const fused = await optimized({ "optimization.disable_specified_optimizers": "" });
    expect(fused.ops).toContain("SkipLayerNormalization");
    let worst = 0;
    def.out.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - fused.out[i]!));
    });
    expect(worst).toBeLessThan(1e-5);
  });
});
