import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grad } from "@tunekit/core/autodiff";
import * as tk from "@tunekit/core/ir";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";

const dir = mkdtempSync(join(tmpdir(), "tunekit-linear-ce-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 12;
const H = 8;
const V = 40;
const CHUNK = 4; // 3 chunks

/** The loss and both gradients of `linearCrossEntropy` (or of its decomposition, with `expand`). */
function lossAndGrads(expand: boolean): tk.Graph {
  const g = new tk.Graph();
  const h = g.input("h", "float32", [N, H]);
  const w = g.input("w", "float32", [V, H]);
  const loss = tk.linearCrossEntropy(h, w, g.input("y", "int32", [N]), { chunkRows: CHUNK });
  const [dh, dw] = grad(loss, [h, w]);
  g.output("loss", loss);
  g.output("dh", dh!);
  g.output("dw", dw!);
  return expand ? tk.expandComposites(g).graph : g;
}

const feeds = {
  h: tk.hostTensor(
    "float32",
    [N, H],
    Float32Array.from({ length: N * H }, (_, i) => Math.sin(i * 0.7)),
  ),
  w: tk.hostTensor(
    "float32",
    [V, H],
    Float32Array.from({ length: V * H }, (_, i) => Math.cos(i * 0.3)),
  ),
  y: tk.hostTensor("int32", [N], [1, 5, -100, 39, 0, 7, 7, -100, 12, 3, 30, 2]),
};

/** The loss and the hidden states' gradient, the weight a parameter bound as a constant (frozen). */
function frozenWeight(): tk.Graph {
  const g = new tk.Graph();
  const h = g.input("h", "float32", [N, H]);
  const w = g.param({ name: "w", value: feeds.w });
  const loss = tk.linearCrossEntropy(h, w, g.input("y", "int32", [N]), { chunkRows: CHUNK });
  const [dh] = grad(loss, [h]);
  g.output("loss", loss);
  g.output("dh", dh!);
  return g;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);

/** Runs `graph` and returns its outputs and the op types of the model as onnxruntime optimised it. */
async function optimized(graph: tk.Graph, name: string, constants: Record<string, tk.HostTensor> = {}) {
  const path = join(dir, `${name}.onnx`);
  const backend = await createOnnxBackend({ intraOpNumThreads: 1, optimizedModelFilePath: path });
  const exe = await backend.compile(graph, { constants });
  const { w: _bound, ...fed } = feeds;
  const out = await exe.run("w" in constants ? fed : feeds);
  backend.dispose();
  // NodeProto.op_type is field 4 (tag 0x22) followed by its length: count whole op names only.
  const bytes = readFileSync(path).toString("latin1");
  const count = (op: string) => bytes.split(`\x22${String.fromCharCode(op.length)}${op}`).length - 1;
  return { out, gemms: count("Gemm") };
}

describe("onnx backend: linearCrossEntropy", () => {
  it("keeps the forward chunk products apart from the gradient's recomputed ones after onnxruntime's optimisation", async () => {
    const fused = await optimized(lossAndGrads(false), "fused");
    // 3 forward products (one per chunk of the Split) + per chunk in the gradient: the
    // recomputed logits and dWᵀ's product. Had common-subexpression elimination merged the
    // forward's products into the gradient's, every chunk's logits would stay alive.
    expect(fused.gemms).toBe(3 * (N / CHUNK));
    // The decomposition slices the rows the way the gradient does: onnxruntime merges the
    // products (so this test can tell the two apart).
    const decomposed = await optimized(lossAndGrads(true), "decomposed");
    expect(decomposed.gemms).toBeLessThan(fused.gemms);
    for (const k of ["loss", "dh", "dw"] as const) {
      expect(maxAbsDiff(fused.out[k]!.data, decomposed.out[k]!.data)).toBeLessThan(1e-5);
    }
  });

  it("with a frozen weight shares each chunk's product between the forward pass and the gradient", async () => {
    const frozen = await optimized(frozenWeight(), "frozen", { w: feeds.w });
    // one product per chunk: the gradient's recomputed logits are the forward's (dh is a MatMul)
    expect(frozen.gemms).toBe(N / CHUNK);
    const trainable = await optimized(lossAndGrads(false), "trainable-again");
    for (const k of ["loss", "dh"] as const) {
      expect(maxAbsDiff(frozen.out[k]!.data, trainable.out[k]!.data)).toBeLessThan(1e-5);
    }
  });
});
