import { afterAll, describe, expect, it } from "vitest";
import { adamw } from "../optim/adamw.js";
import { HostUpdatePool } from "./host-update-pool.js";

/** Deterministic pseudo-random floats in [-scale, scale). */
function randoms(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/** Index of the first element that differs (bitwise, as float32), or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

interface Param {
  name: string;
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

const sizes = [200_003, 70_000, 5_000, 100, 131_072];
const fresh = (): Param[] =>
  sizes.map((n, k) => ({
    name: k === 3 ? "encoder.bias" : `w${k}`,
    p: randoms(n, 10 + k, 1),
    m: new Float32Array(n),
    v: new Float32Array(n),
  }));

describe("HostUpdatePool", () => {
  const opt = adamw({ weightDecay: 0.1, decayFilter: "hf" });
  const pools: HostUpdatePool[] = [];
  afterAll(() => {
    for (const p of pools) p.dispose();
  });

  it.each([2, 3])(
    "%i threads: 4 AdamW steps bit-identical to the one-thread updateOnHost; large parameters move to workers and back",
    async (threads) => {
      const pool = new HostUpdatePool(threads);
      pools.push(pool);
      const want = fresh();
      const got = fresh();
      for (let step = 1; step <= 4; step++) {
        const lr = 0.01 / step;
        const grads = sizes.map((n, k) => randoms(n, 100 * step + k, 0.5));
        for (const [k, q] of want.entries()) {
          opt.updateOnHost!({
            name: q.name,
            param: q.p,
            grad: grads[k]!.slice(),
            state: { m: q.m, v: q.v },
            step,
            lr,
          });
        }
        const inputs = got.map((q) => q.p);
        const results = await pool.run(
          got.map((q, k) => ({
            call: opt.hostKernel!({ name: q.name, step, lr }),
            param: q.p,
            grad: grads[k]!,
            state: { m: q.m, v: q.v },
          })),
        );
        // The largest parameters were handed to a worker (their input arrays are detached);
        // the smallest ran here, in place.
        expect(inputs[0]!.length).toBe(0);
        expect(results[3]!.param).toBe(inputs[3]);
        results.forEach((r, k) => {
          got[k] = { name: got[k]!.name, p: r.param, m: r.state.m!, v: r.state.v! };
        });
      }
      got.forEach((q, k) => {
        expect(q.p.length, `param ${k}`).toBe(sizes[k]);
        expect(firstDiff(q.p, want[k]!.p), `param ${k}`).toBe(-1);
        expect(firstDiff(q.m, want[k]!.m), `m ${k}`).toBe(-1);
        expect(firstDiff(q.v, want[k]!.v), `v ${k}`).toBe(-1);
      });
      // Not a no-op: the parameters moved.
      expect(got[0]!.p[7]).not.toBe(randoms(sizes[0]!, 10, 1)[7]);
    },
  );

  it("a parameter that is a view into a larger buffer is copied for the hand-off and updated the same", async () => {
    const pool = new HostUpdatePool(2);
    pools.push(pool);
    const n = 100_000;
    const backing = randoms(n + 8, 3, 1);
    const view = backing.subarray(8);
    const ref = view.slice();
    const g = randoms(n, 4, 0.5);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const [r] = await pool.run([
      {
        call: opt.hostKernel!({ name: "w", step: 1, lr: 0.1 }),
        param: view,
        grad: g.slice(),
        state: { m, v },
      },
    ]);
    opt.updateOnHost!({
      name: "w",
      param: ref,
      grad: g,
      state: { m: new Float32Array(n), v: new Float32Array(n) },
      step: 1,
      lr: 0.1,
    });
    expect(firstDiff(r!.param, ref)).toBe(-1);
    expect(backing.length).toBe(n + 8); // the caller's larger buffer was not detached
  });

  it("a worker that has stopped makes run reject (BACKEND_EXECUTION), not hang", async () => {
    const pool = new HostUpdatePool(2);
    pools.push(pool);
    const worker = (pool as unknown as { workers: import("node:worker_threads").Worker[] }).workers[0]!;
    await worker.terminate();
    const n = 70_000;
    const job = {
      call: opt.hostKernel!({ name: "w", step: 1, lr: 0.1 }),
      param: new Float32Array(n),
      grad: new Float32Array(n),
      state: { m: new Float32Array(n), v: new Float32Array(n) },
    };
    await expect(pool.run([job])).rejects.toMatchObject({ code: "BACKEND_EXECUTION" });
  });

  it("rejects a bad thread count and a run after dispose (INVALID_ARGUMENT)", async () => {
    expect(() => new HostUpdatePool(0)).toThrow(/threads must be an integer from 1 to 64, got 0/);
    expect(() => new HostUpdatePool(1.5)).toThrow(/got 1.5/);
    const pool = new HostUpdatePool(1);
    pool.dispose();
    await expect(pool.run([])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
