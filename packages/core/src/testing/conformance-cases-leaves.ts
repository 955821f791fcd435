import type { Backend } from "../backend/backend.js";
import { Graph, type Tensor } from "../ir/graph.js";
import { add, constant, dropoutMask, full, matmul, mul, where } from "../ir/ops.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";
import type { ConformanceCase } from "./conformance-case.js";
import { randomHostTensor, runOnce } from "./conformance-compare.js";

function paramCase(name: string, params: "feeds" | "constants"): ConformanceCase {
  return {
    name,
    params,
    build: (g) => {
      const w = g.param({ name: "layer.weight", value: randomHostTensor("float32", [3, 2], name) });
      return { y: matmul(g.input("x", "float32", [4, 3]), w) };
    },
  };
}

function leafCases(): ConformanceCase[] {
  return [
    {
      name: "input/passthrough-every-dtype",
      build: (g) => ({
        f: g.input("f", "float32", [2, 3]),
        i: g.input("i", "int32", [4]),
        b: g.input("b", "bool", [3]),
      }),
    },
    paramCase("param/fed", "feeds"),
    paramCase("param/bound-as-constants", "constants"),
    {
      name: "constant/float32",
      build: (g) => ({ y: add(g.input("x", "float32", [2, 2]), constant(g, "float32", [2], [0.5, -1.25])) }),
    },
    {
      name: "constant/int32",
      feeds: { x: { range: [-5, 5] } },
      build: (g) => ({ y: mul(g.input("x", "int32", [3]), constant(g, "int32", [3], [2, -3, 7])) }),
    },
    {
      name: "constant/bool",
      build: (g) => ({
        y: where(
          constant(g, "bool", [4], [1, 0, 0, 1]),
          g.input("a", "float32", [4]),
          g.input("b", "float32", [4]),
        ),
      }),
    },
    { name: "fill/output-without-inputs", build: (g) => ({ y: full(g, [2, 3], 3.5) }) },
    {
      name: "fill/float32",
      build: (g) => ({ y: add(g.input("x", "float32", [2, 3]), full(g, [2, 3], 0.1)) }),
    },
    {
      name: "fill/int32",
      feeds: { x: { range: [-5, 5] } },
      build: (g) => ({ y: add(g.input("x", "int32", [2, 3]), full(g, [3], 7, "int32")) }),
    },
  ];
}

async function runMask(backend: Backend, seed: number, shape: number[], rate: number): Promise<HostTensor> {
  const g = new Graph();
  g.output("m", dropoutMask(g.input("seed", "int32", []), shape, rate));
  return (await runOnce(backend, g, { seed: hostTensor("int32", [], [seed]) })).m!;
}

/** Fraction of positions where two masks differ. */
function differing(a: HostTensor, b: HostTensor): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) d++;
  return d / a.data.length;
}

function dropoutCases(): ConformanceCase[] {
  const rate = 0.3;
  return [
    {
      // 10k draws: std of the zero fraction is sqrt(0.3·0.7/1e4) ≈ 0.0046, so ±0.03 is ~6.5σ;
      // std of the mean is sqrt(rate/(1-rate)/1e4) ≈ 0.0065, so ±0.05 is ~7.5σ.
      name: "dropoutMask/statistics",
      verify: async (backend) => {
        const m = await runMask(backend, 7, [100, 100], rate);
        const keep = 1 / (1 - rate);
        const failures: string[] = [];
        if (m.dtype !== "float32" || m.shape.join() !== "100,100")
          failures.push(`mask is ${m.dtype}[${m.shape.join(", ")}], expected float32[100, 100]`);
        let zeros = 0;
        let total = 0;
        let odd = 0;
        for (const v of m.data) {
          if (v === 0) zeros++;
          else if (Math.abs(v - keep) > 1e-6 * keep) odd++;
          total += v;
        }
        const n = m.data.length;
        if (odd > 0) failures.push(`${odd} element(s) are neither 0 nor 1/(1-rate) = ${keep}`);
        if (Math.abs(zeros / n - rate) > 0.03)
          failures.push(`zero fraction ${zeros / n}, expected ${rate} ± 0.03`);
        if (Math.abs(total / n - 1) > 0.05) failures.push(`mean ${total / n}, expected 1 ± 0.05`);
        return failures;
      },
    },
    {
      name: "dropoutMask/same-seed-same-mask",
      verify: async (backend) => {
        const failures: string[] = [];
        for (const seed of [42, -123456789]) {
          const a = await runMask(backend, seed, [4, 50], rate);
          const b = await runMask(backend, seed, [4, 50], rate);
          const d = differing(a, b);
          if (d > 0) failures.push(`seed ${seed}: two runs differ in ${(d * 100).toFixed(1)}% of positions`);
        }
        return failures;
      },
    },
    {
      // Independent masks differ in 2·rate·(1-rate) = 42% of positions; demand > 20%.
      name: "dropoutMask/different-seed-different-mask",
      verify: async (backend) => {
        const a = await runMask(backend, 1, [4, 50], rate);
        const b = await runMask(backend, 2, [4, 50], rate);
        const d = differing(a, b);
        return d > 0.2
          ? []
          : [`seeds 1 and 2 give masks differing in only ${(d * 100).toFixed(1)}% of positions`];
      },
    },
    {
      name: "dropoutMask/rate0-all-ones",
      feeds: { seed: { values: [5] } },
      build: (g) => ({ m: dropoutMask(g.input("seed", "int32", []), [3, 4], 0) }),
    },
    {
      name: "dropoutMask/applied-consistently",
      verify: async (backend) => {
        const g = new Graph();
        const x: Tensor = g.input("x", "float32", [2, 3, 8]);
        const m = dropoutMask(g.input("seed", "int32", []), [2, 3, 8], 0.5);
        g.output("m", m);
        g.output("y", mul(x, m));
        const xv = randomHostTensor("float32", [2, 3, 8], "dropout/x");
        const out = await runOnce(backend, g, { x: xv, seed: hostTensor("int32", [], [3]) });
        const bad = [...out.y!.data].filter(
          (v, i) => Math.abs(v - xv.data[i]! * out.m!.data[i]!) > 1e-6,
        ).length;
        return bad === 0 ? [] : [`${bad} element(s) of x·mask disagree with the mask output of the same run`];
      },
    },
  ];
}

/** Forward cases of the leaves (`input`, `param`, `constant`, `fill`) and `dropoutMask`. */
export const LEAF_CASES: readonly ConformanceCase[] = [...leafCases(), ...dropoutCases()];
