import * as tk from "@tunekit/core/ir";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxBackend, type OnnxBackend } from "./backend.js";
import { f32, i32 } from "./onnx.test-helpers.js";

const SHAPE = [64, 64];
const RATE = 0.25;

function maskGraph(): tk.Graph {
  return tk.trace((g) => {
    const seed = g.input("seed", "int32", []);
    const x = g.input("x", "float32", SHAPE);
    const m = tk.dropoutMask(seed, SHAPE, RATE);
    return { m, y: tk.mul(x, m), ones: tk.dropoutMask(seed, [3], 0) };
  });
}

const X = f32(
  SHAPE,
  Array.from({ length: 4096 }, (_, i) => (i % 13) - 6),
);

async function masks(backend: OnnxBackend, seeds: number[]): Promise<Float32Array[]> {
  const exe = await backend.compile(maskGraph());
  const out: Float32Array[] = [];
  for (const s of seeds) {
    const r = await exe.run({ seed: i32([], [s]), x: X });
    const m = r.m!.data as Float32Array;
    // The mask and the product that uses it come from the same draw.
    expect([...r.y!.data].every((v, i) => v === Math.fround(X.data[i]! * m[i]!))).toBe(true);
    expect([...r.ones!.data]).toEqual([1, 1, 1]);
    out.push(m);
  }
  exe.dispose();
  return out;
}

/** Checks values are 0 or 1/(1-rate) and the zero fraction is rate ± 5 sd of a Binomial(4096, rate). */
function expectDropoutStatistics(m: Float32Array): void {
  const keep = Math.fround(1 / (1 - RATE));
  expect(m.every((v) => v === 0 || Math.abs(v - keep) < 1e-6)).toBe(true);
  const zeros = m.filter((v) => v === 0).length;
  const sd = Math.sqrt(m.length * RATE * (1 - RATE)); // ≈ 27.7
  expect(Math.abs(zeros - m.length * RATE)).toBeLessThan(5 * sd);
}

const differing = (a: Float32Array, b: Float32Array): number =>
  a.filter((v, i) => v !== b[i]).length / a.length;

describe("dropoutMask lowering", () => {
  const backends: OnnxBackend[] = [];
  afterAll(() => {
    for (const b of backends) b.dispose();
  });

  it('"seeded" (default): a pure function of the seed, across runs and sessions; seeds give independent masks', async () => {
    const b1 = await createOnnxBackend();
    const b2 = await createOnnxBackend();
    backends.push(b1, b2);
    const [a, again, other, negative] = await masks(b1, [42, 42, 43, -123456789]);
    const [fresh] = await masks(b2, [42]);
    for (const m of [a!, other!, negative!]) expectDropoutStatistics(m);
    expect(differing(a!, again!)).toBe(0);
    expect(differing(a!, fresh!)).toBe(0);
    // Independent masks differ in 2·rate·(1-rate) = 37.5% of positions.
    expect(differing(a!, other!)).toBeGreaterThan(0.3);
    expect(differing(a!, negative!)).toBeGreaterThan(0.3);
  });

  it('"dropoutSeed" changes the seeded masks', async () => {
    const b = await createOnnxBackend({ dropoutSeed: 1 });
    backends.push(b);
    const [a] = await masks(b, [42]);
    const [ref] = await masks(backends[0]!, [42]);
    expect(differing(a!, ref!)).toBeGreaterThan(0.3);
  });

  it('"onnx": ONNX Dropout masks with the right statistics that change from run to run', async () => {
    const b = await createOnnxBackend({ dropout: "onnx" });
    backends.push(b);
    const [a, next] = await masks(b, [42, 42]);
    expectDropoutStatistics(a!);
    expectDropoutStatistics(next!);
    expect(differing(a!, next!)).toBeGreaterThan(0.3);
  });
});
