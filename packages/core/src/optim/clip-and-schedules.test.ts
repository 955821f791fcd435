import { describe, expect, it } from "vitest";
import { evaluateGraphFloat64 } from "../backend/reference-backend.js";
import { Graph } from "../ir/graph.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { clipGradNorm } from "./clip-grad-norm.js";
import {
  constantSchedule,
  cosineWarmupSchedule,
  linearWarmupSchedule,
  scheduleFromConfig,
} from "./schedules.js";

function clip(values: number[][], maxNorm: number): { grads: number[][]; norm: number } {
  const g = new Graph();
  const ts = values.map((v, i) => g.input(`g${i}`, "float32", [v.length]));
  const out = clipGradNorm(ts, maxNorm);
  out.grads.forEach((t, i) => {
    g.output(`c${i}`, t);
  });
  g.output("norm", out.norm);
  const feeds = Object.fromEntries(values.map((v, i) => [`g${i}`, hostTensor("float32", [v.length], v)]));
  const res = evaluateGraphFloat64(g, feeds);
  return { grads: values.map((_, i) => [...res[`c${i}`]!.data]), norm: res.norm!.data[0]! };
}

describe("clipGradNorm", () => {
  it("scales all gradients by maxNorm / (norm + 1e-6) when the global norm is larger", () => {
    // Global norm of [3, 4] and [12] is 13.
    const { grads, norm } = clip([[3, 4], [12]], 1);
    expect(norm).toBeCloseTo(13, 12);
    const scale = 1 / (13 + 1e-6);
    expect(grads[0]![0]).toBeCloseTo(3 * scale, 14);
    expect(grads[0]![1]).toBeCloseTo(4 * scale, 14);
    expect(grads[1]![0]).toBeCloseTo(12 * scale, 14);
  });

  it("leaves gradients unchanged when the norm is below maxNorm (scale clamped to 1)", () => {
    const { grads, norm } = clip([[0.375, 0.5]], 1);
    expect(norm).toBe(0.625);
    expect(grads[0]).toEqual([0.375, 0.5]);
  });

  it("handles all-zero gradients and rejects bad arguments", () => {
    const { grads, norm } = clip([[0, 0]], 1);
    expect(norm).toBe(0);
    expect(grads[0]).toEqual([0, 0]);
    const g = new Graph();
    expect(() => clipGradNorm([g.input("x", "float32", [1])], 0)).toThrow(/maxNorm must be a positive/);
    expect(() => clipGradNorm([], 1)).toThrow(/at least one/);
  });
});

describe("schedules (Hugging Face LambdaLR semantics, step = updates done)", () => {
  it("constant, with and without warm-up", () => {
    const s = constantSchedule({ lr: 0.1 });
    expect([s(0), s(7), s(1000)]).toEqual([0.1, 0.1, 0.1]);
    const w = constantSchedule({ lr: 0.1, warmupSteps: 4 });
    expect(w(0)).toBe(0);
    expect(w(2)).toBeCloseTo(0.05, 15);
    expect(w(4)).toBe(0.1);
  });

  it("linear warm-up then linear decay to 0 (get_linear_schedule_with_warmup)", () => {
    const s = linearWarmupSchedule({ lr: 2, warmupSteps: 10, totalSteps: 110 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(1, 15);
    expect(s(10)).toBe(2);
    expect(s(60)).toBeCloseTo(1, 15);
    expect(s(109)).toBeCloseTo(0.02, 15);
    expect(s(110)).toBe(0);
    expect(s(500)).toBe(0);
    const noWarmup = linearWarmupSchedule({ lr: 1, warmupSteps: 0, totalSteps: 4 });
    expect([0, 1, 2, 3, 4].map(noWarmup)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it("cosine with warm-up (get_cosine_schedule_with_warmup)", () => {
    const s = cosineWarmupSchedule({ lr: 1, warmupSteps: 10, totalSteps: 110 });
    expect(s(5)).toBeCloseTo(0.5, 15);
    expect(s(10)).toBeCloseTo(1, 15);
    expect(s(35)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.25)), 15); // 0.853553…
    expect(s(60)).toBeCloseTo(0.5, 15);
    expect(s(110)).toBeCloseTo(0, 15);
    expect(s(200)).toBeGreaterThanOrEqual(0);
    const full = cosineWarmupSchedule({ lr: 1, warmupSteps: 0, totalSteps: 100, numCycles: 1 });
    expect(full(50)).toBeCloseTo(0, 15);
    expect(full(100)).toBeCloseTo(1, 15);
  });

  it("builds from JSON configs and rejects bad values", () => {
    expect(scheduleFromConfig({ type: "linear", lr: 1, warmupSteps: 0, totalSteps: 4 })(1)).toBe(0.75);
    expect(scheduleFromConfig({ type: "cosine", lr: 1, warmupSteps: 0, totalSteps: 100 })(50)).toBeCloseTo(
      0.5,
      15,
    );
    expect(scheduleFromConfig({ type: "constant", lr: 3 })(9)).toBe(3);
    expect(() => scheduleFromConfig({ type: "step" } as never)).toThrow(/unknown type "step"/);
    expect(() => linearWarmupSchedule({ lr: 1, warmupSteps: 1.5, totalSteps: 4 })).toThrow(/warmupSteps/);
    expect(() => constantSchedule({ lr: 1 })(-1)).toThrow(/non-negative integer/);
  });
});
