import * as tf from "@tensorflow/tfjs";
import { hostTensor, isTunekitError } from "@tunekit/core";
import { add, mul, trace } from "@tunekit/core/ir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTfjsBackend, type TfjsBackend } from "./index.js";

const w = hostTensor("float32", [2], [10, 20]);
const graph = () =>
  trace((g) => {
    const x = g.input("x", "float32", [2]);
    const unused = g.input("unused", "int32", [1]);
    const y = add(x, g.param({ name: "w", value: w }));
    return { y, z: mul(y, 2), u: unused };
  });
const x = hostTensor("float32", [2], [1, 2]);
const u = hostTensor("int32", [1], [5]);

async function error(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isTunekitError(e)) return e;
    throw e;
  }
  throw new Error("expected a TunekitError");
}

describe("tfjs executable: feeds, constants, outputs, disposal", () => {
  let backend: TfjsBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend({ engine: "wasm", log: () => {} });
  });
  afterAll(() => backend.dispose());

  it("runs with fed parameters, or with parameters bound as constants", async () => {
    const fed = await backend.compile(graph());
    const a = await fed.run({ x, w, unused: u });
    expect(Array.from(a.y!.data)).toEqual([11, 22]);
    expect(Array.from(a.z!.data)).toEqual([22, 44]);
    expect(Array.from(a.u!.data)).toEqual([5]);
    const bound = await backend.compile(graph(), { constants: { w }, outputs: ["z"] });
    const b = await bound.run({ x });
    expect(Object.keys(b)).toEqual(["z"]);
    expect(Array.from(b.z!.data)).toEqual([22, 44]);
    fed.dispose();
    bound.dispose();
  });

  it("copies outputs: the caller's arrays are not shared with the engine", async () => {
    const exe = await backend.compile(graph(), { outputs: ["u"] });
    const out = await exe.run({ x, w, unused: u });
    expect(out.u!.data).not.toBe(u.data);
    exe.dispose();
  });

  it("rejects unknown, constant-bound, missing and mismatched feeds with useful messages", async () => {
    const exe = await backend.compile(graph(), { constants: { w }, outputs: ["z"] });
    const unknown = await error(exe.run({ x, nope: x }));
    expect(unknown.code).toBe("INVALID_ARGUMENT");
    expect(unknown.message).toContain('unknown feed "nope"');
    expect(unknown.message).toContain("x, unused");
    expect((await error(exe.run({ x, w }))).message).toContain("bound as a constant");
    const missing = await error(exe.run({}));
    expect(missing.message).toContain("missing feed(s): x");
    const shape = await error(exe.run({ x: hostTensor("float32", [3], [1, 2, 3]) }));
    expect(shape.code).toBe("SHAPE_MISMATCH");
    expect(shape.message).toMatch(/feed "x": expected shape \[2\], received \[3\]/);
    const dtype = await error(exe.run({ x: hostTensor("int32", [2], [1, 2]) }));
    expect(dtype.code).toBe("DTYPE_MISMATCH");
    expect(dtype.message).toMatch(/feed "x": expected dtype float32, received int32/);
    // a feed for an input the requested outputs do not need is accepted and ignored
    expect(Array.from((await exe.run({ x, unused: u })).z!.data)).toEqual([22, 44]);
    exe.dispose();
  });

  it("rejects bad constants and unknown outputs at compile time", async () => {
    const c1 = await error(backend.compile(graph(), { constants: { nope: w } }));
    expect(c1.message).toContain('constant "nope"');
    const c2 = await error(backend.compile(graph(), { constants: { w: hostTensor("float32", [3]) } }));
    expect(c2.code).toBe("SHAPE_MISMATCH");
    const o = await error(backend.compile(graph(), { outputs: ["nope"] }));
    expect(o.message).toContain("known outputs: y, z, u");
  });

  it("frees residents on dispose; disposed executables refuse to run; backend.dispose frees all", async () => {
    const before = tf.memory().numTensors;
    const a = await backend.compile(graph(), { constants: { w } });
    expect(tf.memory().numTensors).toBe(before + 1);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((await error(a.run({ x }))).message).toContain("disposed");
    const other = await createTfjsBackend({ engine: "wasm", log: () => {} });
    await other.compile(graph(), { constants: { w } });
    await other.compile(graph(), { constants: { w } });
    expect(tf.memory().numTensors).toBe(before + 2);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
