import * as tk from "@tunekit/core/ir";
import * as trainer from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { f32, i32 } from "./onnx.test-helpers.js";

/** Deterministic pseudo-random floats in [-scale, scale). */
function values(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** A small MLP classifier (layerNorm, gelu, frozen input projection) and its parameters. */
function model() {
  const p = (
    name: string,
    shape: number[],
    seed: number,
    trainable = true,
  ): trainer.TrainableParameterLike => ({
    name,
    value: f32(
      shape,
      values(
        shape.reduce((a, b) => a * b, 1),
        seed,
        0.5,
      ),
    ),
    trainable,
  });
  const params = [
    p("proj.weight", [4, 8], 1, false), // frozen: bound as a constant (initializer)
    p("ln.weight", [8], 2),
    p("ln.bias", [8], 3),
    p("fc.weight", [8, 8], 4),
    p("head.weight", [3, 8], 5),
    p("head.bias", [3], 6),
  ];
  const [proj, lnW, lnB, fc, head, headB] = params as [
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
    trainer.TrainableParameterLike,
  ];
  const forward = (g: tk.Graph, inputs: Record<string, tk.Tensor>) => {
    const h = tk.layerNorm(tk.matmul(inputs.x!, g.param(proj)), g.param(lnW), g.param(lnB), 1e-5);
    const z = tk.add(h, tk.gelu(tk.matmul(h, g.param(fc))));
    const logits = tk.add(tk.matmul(z, g.param(head), { transposeB: true }), g.param(headB));
    return { loss: tk.crossEntropy(logits, inputs.labels!), logits };
  };
  return { params, forward };
}

const batch = (seed: number) => ({
  x: f32([6, 4], values(24, seed, 1)),
  labels: i32([6], [0, 1, 2, 1, -100, 0]),
});

describe("TrainStepRunner on the ONNX backend", () => {
  it("20 AdamW steps with clipping: losses match the float64 reference (1e-4 relative), one session", async () => {
    const onnx = await createOnnxBackend({ intraOpNumThreads: 1 });
    const run = async (backend: tk.Backend) => {
      const m = model();
      const runner = new trainer.TrainStepRunner({
        backend,
        ...m,
        optimizer: trainer.adamw({ weightDecay: 0.01 }),
        clipNorm: 1,
      });
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) losses.push((await runner.step(batch(i % 4), { lr: 0.01 })).loss);
      const finalValues = m.params.map((p) => [...p.value.data]);
      await runner.dispose();
      return { losses, finalValues };
    };
    const got = await run(onnx);
    expect(onnx.sessionStats().created).toBe(1);
    const want = await run(tk.createReferenceBackend());
    got.losses.forEach((l, i) => {
      expect(Math.abs(l - want.losses[i]!) / Math.abs(want.losses[i]!), `step ${i}`).toBeLessThan(1e-4);
    });
    expect(got.losses[19]!).toBeLessThan(got.losses[0]! * 0.8);
    // The frozen projection is unchanged; trained weights match the reference.
    expect(got.finalValues[0]).toEqual(want.finalValues[0]);
    got.finalValues.slice(1).forEach((row, k) => {
      row.forEach((v, j) => {
        expect(Math.abs(v - want.finalValues[k + 1]![j]!), `param ${k + 1}[${j}]`).toBeLessThan(1e-4);
      });
    });
    onnx.dispose();
  });

  it("optimizerOnHost (AdamW in place on the host, gradients from onnxruntime): same losses and weights as the reference's in-graph AdamW (1e-4), state round-trips, caller arrays untouched", async () => {
    const onnx = await createOnnxBackend({ intraOpNumThreads: 1 });
    const run = async (backend: tk.Backend, optimizerOnHost: boolean) => {
      const m = model();
      const initial = m.params.map((p) => p.value.data);
      const snapshot = initial.map((d) => [...d]);
      const runner = new trainer.TrainStepRunner({
        backend,
        ...m,
        optimizer: trainer.adamw({ weightDecay: 0.01 }),
        clipNorm: 1,
        optimizerOnHost,
      });
      const losses: number[] = [];
      let state: trainer.TrainStepState | undefined;
      for (let i = 0; i < 20; i++) {
        losses.push((await runner.step(batch(i % 4), { lr: 0.01 })).loss);
        if (i === 9) state = runner.getState();
      }
      const finalValues = m.params.map((p) => [...p.value.data]);
      // The caller's arrays are never written into.
      initial.forEach((d, k) => {
        expect([...d]).toEqual(snapshot[k]);
      });
      await runner.dispose();
      return { losses, finalValues, state: state! };
    };
    const got = await run(onnx, true);
    const want = await run(tk.createReferenceBackend(), false);
    got.losses.forEach((l, i) => {
      expect(Math.abs(l - want.losses[i]!) / Math.abs(want.losses[i]!), `step ${i}`).toBeLessThan(1e-4);
    });
    expect(got.finalValues[0]).toEqual(want.finalValues[0]);
    got.finalValues.slice(1).forEach((row, k) => {
      row.forEach((v, j) => {
        expect(Math.abs(v - want.finalValues[k + 1]![j]!), `param ${k + 1}[${j}]`).toBeLessThan(1e-4);
      });
    });
    // getState after step 10 is a copy (later in-place updates do not change it) and matches the reference.
    for (const [name, t] of Object.entries(got.state.optimizer)) {
      const ref = want.state.optimizer[name]!;
      t.data.forEach((v, j) => {
        expect(Math.abs(v - ref.data[j]!), `${name}[${j}]`).toBeLessThan(1e-5);
      });
    }
    onnx.dispose();
  });

  it("optimizerOnHost with an optimizer that has no host update is an INVALID_ARGUMENT", () => {
    const m = model();
    const base = trainer.adamw();
    const optimizer: trainer.Optimizer = {
      name: base.name,
      config: base.config,
      stateSlots: base.stateSlots,
      update: base.update,
    };
    expect(
      () =>
        new trainer.TrainStepRunner({
          backend: tk.createReferenceBackend(),
          ...m,
          optimizer,
          optimizerOnHost: true,
        }),
    ).toThrow(/optimizerOnHost needs an optimizer with updateOnHost/);
  });
});
