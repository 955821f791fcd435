import { grad } from "@tunekit/core/autodiff";
import * as tk from "@tunekit/core/ir";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { lowerGraph } from "./lower.js";
import { toHostTensor, toOrtTensor } from "./onnx-executable.js";

// The WebGPU lowering avoids ops onnxruntime's WebGPU provider has no kernel for (they would run
// on the CPU, with copies to and from the device around them). It is standard ONNX, so it runs
// on the CPU provider too: each case compares it there with the CPU lowering.

/** Runs a lowered model on the CPU provider, one thread (ScatterND's add is exact there). */
async function runOnCpu(
  model: ReturnType<typeof lowerGraph>,
  feeds: Record<string, tk.HostTensor>,
): Promise<Record<string, tk.HostTensor>> {
  const session = await ort.InferenceSession.create(model.bytes, { intraOpNumThreads: 1 });
  const ortFeeds = Object.fromEntries(model.inputs.map((io) => [io.onnxName, toOrtTensor(feeds[io.name]!)]));
  const out = await session.run(ortFeeds);
  await session.release();
  return Object.fromEntries(
    model.outputs.map((io) => [io.name, toHostTensor(out[io.onnxName] as ort.Tensor, io)]),
  );
}

const has = (model: ReturnType<typeof lowerGraph>, op: string): boolean =>
  Buffer.from(model.bytes).includes(op);

const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

/** Lowers `graph` for the CPU and for WebGPU, checks the ops `avoided` are gone, and compares values. */
async function compare(graph: tk.Graph, feeds: Record<string, tk.HostTensor>, avoided: readonly string[]) {
  const cpu = lowerGraph(graph);
  const webgpu = lowerGraph(graph, { lower: { provider: "webgpu" } });
  for (const op of avoided) {
    expect(has(cpu, op), `the CPU lowering uses ${op}`).toBe(true);
    expect(has(webgpu, op), `the WebGPU lowering avoids ${op}`).toBe(false);
  }
  const want = await runOnCpu(cpu, feeds);
  const got = await runOnCpu(webgpu, feeds);
  for (const [name, t] of Object.entries(want)) {
    const worst = Array.from(t.data).reduce((m, v, j) => Math.max(m, Math.abs(v - got[name]!.data[j]!)), 0);
    expect(worst, name).toBeLessThan(1e-5);
  }
}

describe("lowering for the WebGPU provider", () => {
  it("logSoftmax, crossEntropy and their gradients without LogSoftmax (1e-5 of the CPU lowering)", async () => {
    const g = new tk.Graph();
    const x = g.input("x", "float32", [5, 7]);
    const y = g.input("y", "int32", [5]);
    const ls = tk.logSoftmax(x, 1);
    const ce = tk.crossEntropy(x, y);
    const [dx] = grad(tk.add(ce, tk.sum(tk.mul(ls, ls))), [x]);
    g.output("ls", ls);
    g.output("ce", ce);
    g.output("dx", dx!);
    const feeds = {
      x: tk.hostTensor(
        "float32",
        [5, 7],
        seq(35, (i) => Math.sin(i) * 30),
      ), // large logits: the max shift matters
      y: tk.hostTensor("int32", [5], [0, 6, -100, 3, 9]), // an ignored row and one out of range
    };
    await compare(g, feeds, ["LogSoftmax"]);
  });

  it("linearCrossEntropy in 3 chunks, loss and both gradients, without LogSoftmax", async () => {
    const g = new tk.Graph();
    const h = g.input("h", "float32", [12, 8]);
    const w = g.input("w", "float32", [40, 8]);
    const loss = tk.linearCrossEntropy(h, w, g.input("y", "int32", [12]), { chunkRows: 4 });
    const [dh, dw] = grad(loss, [h, w]);
    g.output("loss", loss);
    g.output("dh", dh!);
    g.output("dw", dw!);
    const feeds = {
      h: tk.hostTensor(
        "float32",
        [12, 8],
        seq(96, (i) => Math.sin(i * 0.7)),
      ),
      w: tk.hostTensor(
        "float32",
        [40, 8],
        seq(320, (i) => Math.cos(i * 0.3)),
      ),
      y: tk.hostTensor("int32", [12], [1, 39, 0, -100, 5, 5, 17, 2, -100, 30, 8, 11]),
    };
    await compare(g, feeds, ["LogSoftmax"]);
  });

  it("scatterAdd (64 ids, many repeated) and its fusion into an add: one ScatterND add, no Unique", async () => {
    const g = new tk.Graph();
    const ids = g.input("ids", "int32", [4, 16]);
    const rows = g.input("rows", "float32", [4, 16, 3]);
    const table = g.input("table", "float32", [10, 3]);
    g.output("scattered", tk.scatterAdd(ids, rows, [10, 3]));
    g.output("into", tk.add(table, tk.scatterAdd(ids, tk.mul(rows, 2), [10, 3])));
    const feeds = {
      ids: tk.hostTensor(
        "int32",
        [4, 16],
        seq(64, (i) => (i * 7) % 10),
      ),
      rows: tk.hostTensor(
        "float32",
        [4, 16, 3],
        seq(192, (i) => Math.sin(i * 0.37)),
      ),
      table: tk.hostTensor(
        "float32",
        [10, 3],
        seq(30, (i) => i / 10),
      ),
    };
    await compare(g, feeds, ["Unique"]);
  });

  it("an int32 slice (a causal LM's shifted labels, and one over two axes) becomes Gathers", async () => {
    const g = new tk.Graph();
    const y = g.input("y", "int32", [3, 6]);
    g.output("shifted", tk.slice(y, [0, 1], [-1, -1]));
    g.output("corner", tk.slice(y, [1, 2], [2, 3]));
    g.output("floats", tk.slice(tk.cast(y, "float32"), [0, 1], [-1, -1])); // float32 keeps its Slice
    const feeds = {
      y: tk.hostTensor(
        "int32",
        [3, 6],
        seq(18, (i) => i * 1_000_003 - 7),
      ),
    };
    const slices = (m: ReturnType<typeof lowerGraph>) =>
      Buffer.from(m.bytes).toString("latin1").split("Slice").length - 1;
    const webgpu = lowerGraph(g, { lower: { provider: "webgpu" } });
    // Three Slice nodes on the CPU; on WebGPU only the float32 one is left (each node's op type
    // and output name both say "Slice").
    expect(slices(lowerGraph(g))).toBe(3 * slices(webgpu));
    expect(slices(webgpu)).toBeGreaterThan(0);
    await compare(g, feeds, []);
    const out = await runOnCpu(webgpu, feeds);
    expect(Array.from(out.shifted!.data)).toEqual(
      seq(18, (i) => i * 1_000_003 - 7).filter((_, i) => i % 6 !== 0),
    );
    expect(Array.from(out.corner!.data)).toEqual([8, 9, 10, 14, 15, 16].map((i) => i * 1_000_003 - 7));
  });
});
