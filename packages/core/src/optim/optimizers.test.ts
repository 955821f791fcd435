import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import type { Float64Tensor } from "../backend/reference-tensor.js";
import { mulberry32 } from "../data/random.js";
import { Graph } from "../ir/graph.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { adamw } from "./adamw.js";
import type { Optimizer } from "./optimizer.js";
import { hfDecayFilter } from "./optimizer.js";
import { optimizerFromConfig } from "./optimizer-from-config.js";
import { sgd } from "./sgd.js";

const SHAPE = [3, 4];
const N = 12;
const f64 = (data: readonly number[] | Float64Array, shape: readonly number[] = SHAPE): Float64Tensor => ({
  dtype: "float32",
  shape,
  data: Float64Array.from(data),
});
const scalar = (v: number): Float64Tensor => f64([v], []);

function randomVector(rng: () => number, n = N): number[] {
  return Array.from({ length: n }, () => (rng() - 0.5) * 4);
}

/** Max relative error, relative to max(|expected|, 1e-12) element-wise. */
function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(Math.abs(e), 1e-12));
  }
  return worst;
}

/**
 * Runs `steps` updates of `opt` on one parameter through the IR (float64 reference
 * evaluation), feeding each step's outputs back in.
 */
function runIr(
  opt: Optimizer,
  name: string,
  p0: number[],
  grads: number[][],
  lrs: number[],
): { param: Float64Array; state: Record<string, Float64Array> } {
  const g = new Graph();
  const p = g.input("p", "float32", SHAPE);
  const gr = g.input("g", "float32", SHAPE);
  const step = g.input("step", "float32", []);
  const lr = g.input("lr", "float32", []);
  const slots = Object.keys(opt.stateSlots(hostTensor("float32", SHAPE)));
  const state = Object.fromEntries(slots.map((s) => [s, g.input(`s.${s}`, "float32", SHAPE)]));
  const out = opt.update({ name, param: p, grad: gr, state, step, lr });
  g.output("p", out.param);
  for (const s of slots) g.output(`s.${s}`, out.state[s]!);
  let param = f64(p0);
  let st: Record<string, Float64Tensor> = Object.fromEntries(
    slots.map((s) => [`s.${s}`, f64(new Array(N).fill(0))]),
  );
  grads.forEach((gv, t) => {
    const res = evaluateGraphFloat64(g, {
      p: param,
      g: f64(gv),
      step: scalar(t + 1),
      lr: scalar(lrs[t]!),
      ...st,
    });
    param = res.p!;
    st = Object.fromEntries(slots.map((s) => [`s.${s}`, res[`s.${s}`]!]));
  });
  return {
    param: param.data,
    state: Object.fromEntries(slots.map((s) => [s, st[`s.${s}`]!.data])),
  };
}

/** torch.optim.AdamW, written out in float64. */
function torchAdamW(
  p0: number[],
  grads: number[][],
  lrs: number[],
  hp: { beta1: number; beta2: number; eps: number; wd: number },
): { p: number[]; m: number[]; v: number[] } {
  const p = [...p0];
  const m = new Array<number>(p.length).fill(0);
  const v = new Array<number>(p.length).fill(0);
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k]!;
    for (let i = 0; i < p.length; i++) {
      p[i]! *= 1 - lr * hp.wd;
      m[i] = hp.beta1 * m[i]! + (1 - hp.beta1) * g[i]!;
      v[i] = hp.beta2 * v[i]! + (1 - hp.beta2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - hp.beta1 ** t);
      const vHat = v[i]! / (1 - hp.beta2 ** t);
      p[i]! -= (lr * mHat) / (Math.sqrt(vHat) + hp.eps);
    }
  });
  return { p, m, v };
}

/** torch.optim.SGD, written out in float64. */
function torchSgd(
  p0: number[],
  grads: number[][],
  lrs: number[],
  hp: { momentum: number; dampening: number; wd: number; nesterov: boolean },
): { p: number[]; buf: number[] } {
  const p = [...p0];
  let buf: number[] | undefined;
  grads.forEach((g, k) => {
    const lr = lrs[k]!;
    let d = g.map((gi, i) => gi + hp.wd * p[i]!);
    if (hp.momentum !== 0) {
      buf = buf === undefined ? [...d] : buf.map((b, i) => hp.momentum * b + (1 - hp.dampening) * d[i]!);
      const b = buf;
      d = hp.nesterov ? d.map((di, i) => di + hp.momentum * b[i]!) : [...b];
    }
    for (let i = 0; i < p.length; i++) p[i]! -= lr * d[i]!;
  });
  return { p, buf: buf ?? [] };
}

const TOL = 1e-10;

describe("adamw", () => {
  const rng = mulberry32(7);
  const p0 = randomVector(rng);
  const grads = Array.from({ length: 6 }, () => randomVector(rng));
  const lrs = [1e-3, 5e-3, 1e-2, 2e-2, 1e-2, 3e-3];

  it("matches torch.optim.AdamW over 6 steps (defaults, float64, rel ≤ 1e-10)", () => {
    const ir = runIr(adamw(), "w", p0, grads, lrs);
    const ref = torchAdamW(p0, grads, lrs, { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.01 });
    expect(maxRelError(ir.param, ref.p)).toBeLessThanOrEqual(TOL);
    expect(maxRelError(ir.state.m!, ref.m)).toBeLessThanOrEqual(TOL);
    expect(maxRelError(ir.state.v!, ref.v)).toBeLessThanOrEqual(TOL);
    // The update really moved the parameter (the comparison is not vacuous).
    expect(maxRelError(ir.param, p0)).toBeGreaterThan(1e-4);
  });

  it("matches with non-default betas, eps and weight decay", () => {
    const hp = { beta1: 0.8, beta2: 0.95, eps: 1e-6, wd: 0.3 };
    const opt = adamw({ beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps, weightDecay: hp.wd });
    const ir = runIr(opt, "w", p0, grads, lrs);
    const ref = torchAdamW(p0, grads, lrs, hp);
    expect(maxRelError(ir.param, ref.p)).toBeLessThanOrEqual(TOL);
  });

  it("skips weight decay where the decay filter says so (HF: biases and LayerNorm weights)", () => {
    const opt = adamw({ weightDecay: 0.5, decayFilter: "hf" });
    const noDecay = torchAdamW(p0, grads, lrs, { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0 });
    const decay = torchAdamW(p0, grads, lrs, { beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.5 });
    expect(
      maxRelError(runIr(opt, "encoder.LayerNorm.weight", p0, grads, lrs).param, noDecay.p),
    ).toBeLessThanOrEqual(TOL);
    expect(maxRelError(runIr(opt, "classifier.bias", p0, grads, lrs).param, noDecay.p)).toBeLessThanOrEqual(
      TOL,
    );
    expect(maxRelError(runIr(opt, "classifier.weight", p0, grads, lrs).param, decay.p)).toBeLessThanOrEqual(
      TOL,
    );
    const custom = adamw({ weightDecay: 0.5, decayFilter: (n) => n.startsWith("keep") });
    expect(maxRelError(runIr(custom, "keep.w", p0, grads, lrs).param, decay.p)).toBeLessThanOrEqual(TOL);
    expect(maxRelError(runIr(custom, "other.w", p0, grads, lrs).param, noDecay.p)).toBeLessThanOrEqual(TOL);
  });

  it("has zero m, v slots, a JSON config that round-trips, and rejects bad hyper-parameters", () => {
    const opt = adamw({ beta2: 0.98, decayFilter: "hf" });
    const slots = opt.stateSlots(hostTensor("float32", [2, 5]));
    expect(Object.keys(slots)).toEqual(["m", "v"]);
    expect(slots.m!.shape).toEqual([2, 5]);
    expect([...slots.v!.data].every((x) => x === 0)).toBe(true);
    const config = JSON.parse(JSON.stringify(opt.config));
    expect(config).toEqual({
      type: "adamw",
      beta1: 0.9,
      beta2: 0.98,
      eps: 1e-8,
      weightDecay: 0.01,
      decayFilter: "hf",
    });
    expect(optimizerFromConfig(config).config).toEqual(opt.config);
    expect(() => adamw({ beta1: 1 })).toThrow(/beta1 must be a number in \[0, 1\)/);
    expect(() => adamw({ eps: -1 })).toThrow(/eps/);
    expect(() => optimizerFromConfig(adamw({ decayFilter: () => true }).config)).toThrow(/custom/);
  });
});

describe("sgd", () => {
  const rng = mulberry32(11);
  const p0 = randomVector(rng);
  const grads = Array.from({ length: 5 }, () => randomVector(rng));
  const lrs = [0.1, 0.05, 0.02, 0.1, 0.01];
  const cases = [
    { momentum: 0, dampening: 0, wd: 0, nesterov: false },
    { momentum: 0, dampening: 0, wd: 0.1, nesterov: false },
    { momentum: 0.9, dampening: 0, wd: 0, nesterov: false },
    { momentum: 0.9, dampening: 0.2, wd: 0.05, nesterov: false },
    { momentum: 0.8, dampening: 0, wd: 0.01, nesterov: true },
  ];
  for (const hp of cases) {
    it(`matches torch.optim.SGD over 5 steps (${JSON.stringify(hp)})`, () => {
      const opt = sgd({
        momentum: hp.momentum,
        dampening: hp.dampening,
        weightDecay: hp.wd,
        nesterov: hp.nesterov,
      });
      const ir = runIr(opt, "w", p0, grads, lrs);
      const ref = torchSgd(p0, grads, lrs, hp);
      expect(maxRelError(ir.param, ref.p)).toBeLessThanOrEqual(TOL);
      if (hp.momentum !== 0) expect(maxRelError(ir.state.momentum_buffer!, ref.buf)).toBeLessThanOrEqual(TOL);
      else expect(Object.keys(ir.state)).toEqual([]);
    });
  }

  it("initialises the momentum buffer to the first gradient (not β·0 + g·(1 − dampening))", () => {
    const opt = sgd({ momentum: 0.9, dampening: 0.5 });
    const ir = runIr(opt, "w", p0, grads.slice(0, 1), [0.1]);
    expect(maxRelError(ir.state.momentum_buffer!, grads[0]!)).toBeLessThanOrEqual(TOL);
  });

  it("rejects nesterov without momentum", () => {
    expect(() => sgd({ nesterov: true })).toThrow(/nesterov needs momentum > 0/);
  });
});

describe("hfDecayFilter", () => {
  it("excludes biases and LayerNorm weights only", () => {
    expect(hfDecayFilter("bert.encoder.layer.0.attention.output.LayerNorm.weight")).toBe(false);
    expect(hfDecayFilter("bert.embeddings.LayerNorm.bias")).toBe(false);
    expect(hfDecayFilter("classifier.bias")).toBe(false);
    expect(hfDecayFilter("bert.encoder.layer.0.attention.self.query.weight")).toBe(true);
    expect(hfDecayFilter("classifier.weight")).toBe(true);
    expect(hfDecayFilter("bert.encoder.layer.0.attention.self.query.lora_A")).toBe(true);
  });
});
