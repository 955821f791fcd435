import * as tk from "@tunekit/core/ir";
import type * as tkCore from "@tunekit/core";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { lowerGraph } from "./lower.js";
import { expectClose, f32, i32 } from "./onnx.test-helpers.js";

const linear = () =>
  tk.trace((g) => {
    const x = g.input("x", "float32", [2, 3]);
    const w = g.param({ name: "w", value: f32([3, 2], [1, 0, 0, 1, 1, 1]) });
    const ids = g.input("ids", "int32", [2]);
    return { y: tk.matmul(x, w), ids2: tk.mul(ids, 2) };
  });

describe("createOnnxBackend", async () => {
  const backend = await createOnnxBackend({ intraOpNumThreads: 1 });
  afterAll(() => backend.dispose());
  const feeds = {
    x: f32([2, 3], [1, 2, 3, 4, 5, 6]),
    w: f32([3, 2], [1, 0, 0, 1, 1, 1]),
    ids: i32([2], [3, 4]),
  };

  it("is named after its first execution provider", async () => {
    expect(backend.name).toBe("onnx-cpu");
  });

  it("runs a graph with parameters fed at run time and returns HostTensors", async () => {
    const exe = await backend.compile(linear());
    const r = await exe.run(feeds);
    expectClose(r.y, [2, 2], [4, 5, 10, 11]);
    expect(r.ids2).toEqual({ dtype: "int32", shape: [2], data: Int32Array.from([6, 8]) });
    // Results are not aliased with onnxruntime buffers reused by later runs.
    const again = await exe.run({ ...feeds, x: f32([2, 3], [0, 0, 0, 0, 0, 0]) });
    expectClose(r.y, [2, 2], [4, 5, 10, 11]);
    expectClose(again.y, [2, 2], [0, 0, 0, 0]);
    exe.dispose();
  });

  it("embeds constants as initializers and computes only the requested outputs", async () => {
    const exe = await backend.compile(linear(), {
      constants: { w: f32([3, 2], [2, 0, 0, 2, 0, 0]) },
      outputs: ["y"],
    });
    const r = await exe.run({ x: feeds.x });
    expect(Object.keys(r)).toEqual(["y"]);
    expectClose(r.y, [2, 2], [2, 4, 8, 10]);
    // ids is declared but not needed by "y": feeding it is allowed and ignored.
    await expect(exe.run({ x: feeds.x, ids: feeds.ids })).resolves.toBeDefined();
    await expect(exe.run({ x: feeds.x, w: feeds.w })).rejects.toThrow(/bound as a constant/);
    exe.dispose();
  });

  it("feeds bound constants of at least feedConstantsFrom bytes instead of embedding them", async () => {
    const w = f32([3, 2], [2, 0, 0, 2, 0, 0]); // 24 bytes
    // The lowered model holds w's bytes only when it is embedded.
    const holds = (m: { bytes: Uint8Array }) => Buffer.from(m.bytes).includes(Buffer.from(w.data.buffer));
    const fedModel = lowerGraph(linear(), { constants: { w }, outputs: ["y"], feedConstantsFrom: 24 });
    expect(fedModel.constantInputs.map((io) => io.name)).toEqual(["w"]);
    expect(holds(fedModel)).toBe(false);
    const embeddedModel = lowerGraph(linear(), { constants: { w }, outputs: ["y"], feedConstantsFrom: 25 });
    expect(embeddedModel.constantInputs).toEqual([]);
    expect(holds(embeddedModel)).toBe(true);
    const fedBackend = await createOnnxBackend({ feedConstantsFrom: 24 });
    const fed = await fedBackend.compile(linear(), { constants: { w }, outputs: ["y"] });
    const embedBackend = await createOnnxBackend({ feedConstantsFrom: 25 });
    const embedded = await embedBackend.compile(linear(), { constants: { w }, outputs: ["y"] });
    for (const exe of [fed, embedded]) {
      expectClose((await exe.run({ x: feeds.x })).y, [2, 2], [2, 4, 8, 10]);
      await expect(exe.run({ x: feeds.x, w: feeds.w })).rejects.toThrow(/bound as a constant/);
    }
    // Two compiles of one graph with different fed constants share a session, each with its own values.
    const other = await fedBackend.compile(linear(), {
      constants: { w: f32([3, 2], [1, 0, 0, 1, 0, 0]) },
      outputs: ["y"],
    });
    expect(fedBackend.sessionStats()).toEqual({ created: 1, live: 1 });
    expectClose((await other.run({ x: feeds.x })).y, [2, 2], [1, 2, 4, 5]);
    expectClose((await fed.run({ x: feeds.x })).y, [2, 2], [2, 4, 8, 10]);
    fedBackend.dispose();
    embedBackend.dispose();
  });

  it("reuses one session when the same graph is compiled twice, and releases it on dispose", async () => {
    const b = await createOnnxBackend();
    const e1 = await b.compile(linear());
    const e2 = await b.compile(linear());
    expect(b.sessionStats()).toEqual({ created: 1, live: 1 });
    const e3 = await b.compile(linear(), { outputs: ["y"] });
    expect(b.sessionStats()).toEqual({ created: 2, live: 2 });
    e1.dispose();
    expect(b.sessionStats().live).toBe(2);
    e2.dispose();
    expect(b.sessionStats().live).toBe(1);
    b.dispose();
    expect(b.sessionStats().live).toBe(0);
    await expect(e3.run(feeds)).rejects.toThrow(/disposed/);
    await expect(b.compile(linear())).rejects.toThrow(/disposed/);
  });

  it("validates feeds: unknown names list the known ones; missing; dtype and shape mismatch", async () => {
    const exe = await backend.compile(linear());
    const err = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as tkCore.TunekitError,
      );
    const unknown = await err(exe.run({ ...feeds, nope: feeds.x }));
    expect(unknown?.code).toBe("INVALID_ARGUMENT");
    expect(unknown?.message).toMatch(/"nope".*known names: x, ids, w/);
    const missing = await err(exe.run({ x: feeds.x, ids: feeds.ids }));
    expect(missing?.message).toMatch(/missing feeds: w/);
    const dtype = await err(exe.run({ ...feeds, ids: f32([2], [3, 4]) }));
    expect(dtype?.code).toBe("DTYPE_MISMATCH");
    expect(dtype?.message).toMatch(/expected dtype int32, received float32/);
    const shape = await err(exe.run({ ...feeds, x: f32([3, 2], [1, 2, 3, 4, 5, 6]) }));
    expect(shape?.code).toBe("SHAPE_MISMATCH");
    expect(shape?.message).toMatch(/expected shape \[2, 3\], received \[3, 2\]/);
    await expect(backend.compile(linear(), { outputs: ["z"] })).rejects.toThrow(/known outputs: y, ids2/);
    await expect(backend.compile(linear(), { constants: { q: feeds.x } })).rejects.toThrow(
      /not an input or parameter/,
    );
    exe.dispose();
  });

  it("handles names that collide with generated names and outputs that share a node or an input name", async () => {
    const g = tk.trace((gr) => {
      const x = gr.input("/odd", "float32", [2]);
      const y = tk.add(x, 1);
      return { a: y, b: y, "/odd2": x };
    });
    const exe = await backend.compile(g);
    const r = await exe.run({ "/odd": f32([2], [1, 2]) });
    expectClose(r.a, [2], [2, 3]);
    expectClose(r.b, [2], [2, 3]);
    expectClose(r["/odd2"], [2], [1, 2]);
    exe.dispose();
  });

  it("keeps memory bounded over 200 runs of a small graph (RSS growth < 50 MB)", async () => {
    const g = tk.trace((gr) => {
      const x = gr.input("x", "float32", [64, 64]);
      const w = gr.input("w", "float32", [64, 64]);
      return { y: tk.softmax(tk.matmul(x, w, { transposeB: true })), s: tk.sum(x) };
    });
    const exe = await backend.compile(g);
    const x = f32(
      [64, 64],
      Array.from({ length: 4096 }, (_, i) => (i % 7) / 7),
    );
    for (let i = 0; i < 20; i++) await exe.run({ x, w: x });
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) await exe.run({ x, w: x });
    const growth = process.memoryUsage().rss - before;
    expect(growth).toBeLessThan(50 * 2 ** 20);
    exe.dispose();
  });
});
