import * as tk from "@tunekit/core/ir";
import * as trainer from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { toyClassifier as model, toyClassifierBatch as batch } from "@tunekit/core/testing";

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
