import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, DeviceTensor } from "../backend/backend.js";
import { isDeviceTensor } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { trace } from "../ir/graph.js";
import { add, mul, sum } from "../ir/ops.js";
import { adamw } from "../optim/adamw.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { TrainStepRunner } from "../train/train-step-runner.js";
import { toyClassifier, toyClassifierBatch } from "./toy-classifier.js";

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, j) => Math.max(m, Math.abs(v - b[j]!)), 0);
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

/** y = 2x + 1 and the sum of x. */
const affine = () =>
  trace((g) => {
    const x = g.input("x", "float32", [3]);
    return { y: add(mul(x, 2), 1), s: sum(x) };
  });

/**
 * Registers the device-residency contract on a backend with `keepsOnDevice`: outputs compiled
 * with `keepOnDevice` come back from `runWithDevice` as device tensors that chain into later
 * runs and `read()` to the right values; `run()` refuses device feeds, disposed tensors are
 * refused; and `TrainStepRunner` training with parameters and state on the device (AdamW,
 * clipping, gradient accumulation) matches the float64 reference within 1e-4, leaves the host
 * values alone until `syncToHost`, evaluates from the device, and lets an assigned value win.
 *
 * @example
 * ```ts
 * describeDeviceResidency("onnx-webgpu", () => createOnnxBackend({ executionProviders: ["webgpu"] }));
 * ```
 */
export function describeDeviceResidency(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
): void {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend();
  });
  afterAll(() => backend?.dispose());

  describe(`device residency on ${backendName}`, () => {
    it("keeps values on the device: kept outputs are device tensors that chain into later runs and read() back", async () => {
      expect(backend.keepsOnDevice).toBe(true);
      const exe = await backend.compile(affine(), { keepOnDevice: ["y"] });
      let x: HostTensor | DeviceTensor = hostTensor("float32", [3], [1, -2, 0.5]);
      const sums: number[] = [];
      for (let i = 0; i < 3; i++) {
        const out = await exe.runWithDevice!({ x });
        expect(isDeviceTensor(out.y)).toBe(true);
        expect(isDeviceTensor(out.s)).toBe(false);
        sums.push((out.s as HostTensor).data[0]!);
        if (isDeviceTensor(x)) x.dispose();
        x = out.y!;
      }
      expect(sums).toEqual([-0.5, 2, 7]); // x: [1, -2, 0.5] → [3, -3, 2] → [7, -5, 5] → [15, -9, 11]
      const y = x as DeviceTensor;
      expect([y.dtype, [...y.shape]]).toEqual(["float32", [3]]);
      expect([...(await y.read()).data]).toEqual([15, -9, 11]);
      // run() returns host tensors and refuses device feeds; a disposed tensor is refused.
      expect([...(await exe.run({ x: hostTensor("float32", [3], [1, 1, 1]) })).y!.data]).toEqual([3, 3, 3]);
      await expect(exe.run({ x: y as never })).rejects.toThrow(/device tensor/);
      y.dispose();
      expect(y.disposed).toBe(true);
      await expect(exe.runWithDevice!({ x: y })).rejects.toThrow(/disposed/);
      await expect(y.read()).rejects.toThrow(/disposed/);
      exe.dispose();
    });

    it("TrainStepRunner: 12 AdamW updates (clipping, 2 micro-batches each) on the device match the float64 reference (1e-4); host values move only on syncToHost", async () => {
      const make = (b: Backend) => {
        const m = toyClassifier();
        const runner = new TrainStepRunner({
          backend: b,
          ...m,
          optimizer: adamw({ weightDecay: 0.01 }),
          clipNorm: 1,
          gradientAccumulation: 2,
        });
        return { m, runner };
      };
      const dev = make(backend);
      const ref = make(createReferenceBackend());
      expect(dev.runner.deviceResident).toBe(true);
      const before = dev.m.params.map((p) => p.value);
      for (let i = 0; i < 24; i++) {
        const a = await dev.runner.step(toyClassifierBatch(i % 4), { lr: 0.01 });
        const b = await ref.runner.step(toyClassifierBatch(i % 4), { lr: 0.01 });
        expect(rel(a.loss, b.loss), `step ${i}`).toBeLessThan(1e-4);
        if (b.gradNorm !== undefined) expect(rel(a.gradNorm!, b.gradNorm)).toBeLessThan(1e-4);
      }
      for (const [i, p] of dev.m.params.entries()) expect(p.value).toBe(before[i]);
      expect(() => dev.runner.getState()).toThrow(/syncToHost/);
      const evalDev = await dev.runner.evaluate(toyClassifierBatch(9));
      const evalRef = await ref.runner.evaluate(toyClassifierBatch(9));
      expect(rel(evalDev.loss!.data[0]!, evalRef.loss!.data[0]!)).toBeLessThan(1e-4);
      await dev.runner.syncToHost();
      for (const [i, p] of dev.m.params.entries()) {
        expect(maxDiff(p.value.data, ref.m.params[i]!.value.data), p.name).toBeLessThan(1e-4);
      }
      const state = dev.runner.getState().optimizer;
      const refState = ref.runner.getState().optimizer;
      expect(Object.keys(state).sort()).toEqual(Object.keys(refState).sort());
      for (const [name, t] of Object.entries(state)) {
        expect(maxDiff(t.data, refState[name]!.data), name).toBeLessThan(1e-4);
      }
      await dev.runner.dispose();
      await ref.runner.dispose();
    });

    it("TrainStepRunner: a value assigned from outside wins over the device copy, and dispose syncs", async () => {
      const m = toyClassifier();
      const runner = new TrainStepRunner({ backend, ...m, optimizer: adamw() });
      await runner.step(toyClassifierBatch(0), { lr: 0.1 });
      const bias = m.params.find((p) => p.name === "head.bias")!;
      bias.value = hostTensor("float32", [3], [5, 5, 5]);
      await runner.step(toyClassifierBatch(1), { lr: 0 }); // lr 0: the step keeps the values it was fed
      await runner.dispose();
      expect([...bias.value.data]).toEqual([5, 5, 5]);
    });
  });
}
