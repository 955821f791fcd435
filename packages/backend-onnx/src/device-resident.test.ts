import { isTunekitError } from "@tunekit/core";
import * as tk from "@tunekit/core/ir";
import * as trainer from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { createOnnxBackend } from "./backend.js";
import { f32 } from "./onnx.test-helpers.js";
import { resolveExecutionProviders } from "./providers.js";
import { batch, model } from "./toy-classifier.test-helpers.js";

// WebGPU runs wherever Vulkan does: a GPU, or Mesa's software rasterizer (lavapipe, which CI
// installs). CI sets TUNEKIT_REQUIRE_WEBGPU=1 so that these checks cannot silently fall back.
const probe = await resolveExecutionProviders(["webgpu"]);
const available = probe.dropped.length === 0;
const required = process.env.TUNEKIT_REQUIRE_WEBGPU === "1";

const webgpuBackend = () => createOnnxBackend({ executionProviders: ["webgpu"], fallback: "error" });

/** y = 2x + 1 and the sum of x, for chaining runs through the device. */
const affine = tk.trace((g) => {
  const x = g.input("x", "float32", [3]);
  return { y: tk.add(tk.mul(x, 2), 1), s: tk.sum(x) };
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, j) => Math.max(m, Math.abs(v - b[j]!)), 0);

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

describe("device-resident values on the ONNX backend", () => {
  if (!available) {
    it("without a WebGPU adapter: the backend falls back to the CPU, says why, and keeps nothing on a device", async () => {
      expect(required, `TUNEKIT_REQUIRE_WEBGPU=1 but WebGPU cannot start: ${probe.dropped.join("; ")}`).toBe(
        false,
      );
      const logs: string[] = [];
      const b = await createOnnxBackend({ executionProviders: ["webgpu"], log: (m) => logs.push(m) });
      expect(b.executionProviders).toEqual(["cpu"]);
      expect(b.keepsOnDevice).toBe(false);
      expect(logs.join("\n")).toMatch(/webgpu/);
      b.dispose();
    });
    return;
  }

  it("the CPU provider keeps nothing on a device; WebGPU does", async () => {
    const cpu = await createOnnxBackend({ intraOpNumThreads: 1 });
    expect(cpu.keepsOnDevice).toBe(false);
    const exe = await cpu.compile(affine, { keepOnDevice: ["y"] });
    expect(exe.runWithDevice).toBeUndefined();
    cpu.dispose();
    const gpu = await webgpuBackend();
    expect(gpu.keepsOnDevice).toBe(true);
    gpu.dispose();
  });

  it("kept outputs come back as gpu-buffer device tensors, chain into the next run, and read() gives the values", async () => {
    const backend = await webgpuBackend();
    const exe = await backend.compile(affine, { keepOnDevice: ["y"] });
    let x: tk.HostTensor | tk.DeviceTensor = f32([3], [1, -2, 0.5]);
    const host = [1, -2, 0.5];
    const sums: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await exe.runWithDevice!({ x });
      expect(tk.isDeviceTensor(out.y)).toBe(true);
      expect(tk.isDeviceTensor(out.s)).toBe(false);
      sums.push((out.s as tk.HostTensor).data[0]!);
      if (tk.isDeviceTensor(x)) x.dispose();
      x = out.y!;
      for (let k = 0; k < 3; k++) host[k] = 2 * host[k]! + 1;
    }
    expect(sums).toEqual([-0.5, 2, 7]);
    const y = x as tk.DeviceTensor;
    expect(y.location).toBe("gpu-buffer");
    expect([...(await y.read()).data]).toEqual(host);
    // run() of the same executable returns host tensors, and refuses device feeds.
    const plain = await exe.run({ x: f32([3], [1, 1, 1]) });
    expect([...plain.y!.data]).toEqual([3, 3, 3]);
    await expect(exe.run({ x: y as never })).rejects.toThrow(/device tensor fed to run\(\)/);
    y.dispose();
    expect(y.disposed).toBe(true);
    await expect(exe.runWithDevice!({ x: y })).rejects.toThrow(/disposed/);
    await expect(y.read()).rejects.toThrow(/disposed/);
    backend.dispose();
  });

  it("a device tensor is refused by another backend's executable and by a wrong shape", async () => {
    const a = await webgpuBackend();
    const b = await webgpuBackend();
    const exeA = await a.compile(affine, { keepOnDevice: ["y"] });
    const exeB = await b.compile(affine, { keepOnDevice: ["y"] });
    const { y } = await exeA.runWithDevice!({ x: f32([3], [1, 2, 3]) });
    const err = await exeB.runWithDevice!({ x: y! }).catch((e: unknown) => e);
    expect(isTunekitError(err) && err.code).toBe("INVALID_ARGUMENT");
    expect(String(err)).toMatch(/another backend/);
    const wide = await a.compile(
      tk.trace((g) => ({ z: tk.mul(g.input("x", "float32", [4]), 2) })),
      {},
    );
    const shapeErr = await wide.runWithDevice!({ x: y! }).catch((e: unknown) => e);
    expect(isTunekitError(shapeErr) && shapeErr.code).toBe("SHAPE_MISMATCH");
    (y as tk.DeviceTensor).dispose();
    a.dispose();
    b.dispose();
  });

  it("TrainStepRunner: 12 AdamW updates (clipping, 2 micro-batches each) with parameters and state on the device match the CPU (1e-4), the host copy moves only on syncToHost", async () => {
    const gpu = await webgpuBackend();
    const cpu = await createOnnxBackend({ intraOpNumThreads: 1 });
    const make = (backend: tk.Backend) => {
      const m = model();
      const runner = new trainer.TrainStepRunner({
        backend,
        ...m,
        optimizer: trainer.adamw({ weightDecay: 0.01 }),
        clipNorm: 1,
        gradientAccumulation: 2,
      });
      return { m, runner };
    };
    const onGpu = make(gpu);
    const onCpu = make(cpu);
    const before = onGpu.m.params.map((p) => p.value);
    for (let i = 0; i < 24; i++) {
      const a = await onGpu.runner.step(batch(i % 4), { lr: 0.01 });
      const b = await onCpu.runner.step(batch(i % 4), { lr: 0.01 });
      expect(rel(a.loss, b.loss), `step ${i}`).toBeLessThan(1e-4);
      if (a.gradNorm !== undefined) expect(rel(a.gradNorm, b.gradNorm!)).toBeLessThan(1e-4);
    }
    // The parameters' host values were never touched: the training lives on the device.
    for (const [i, p] of onGpu.m.params.entries()) expect(p.value).toBe(before[i]);
    expect(() => onGpu.runner.getState()).toThrow(/syncToHost/);
    // Evaluation reads the device values.
    const evalGpu = await onGpu.runner.evaluate(batch(9));
    const evalCpu = await onCpu.runner.evaluate(batch(9));
    expect(rel(evalGpu.loss!.data[0]!, evalCpu.loss!.data[0]!)).toBeLessThan(1e-4);
    await onGpu.runner.syncToHost();
    for (const [i, p] of onGpu.m.params.entries()) {
      expect(maxDiff(p.value.data, onCpu.m.params[i]!.value.data), p.name).toBeLessThan(1e-4);
    }
    const state = onGpu.runner.getState();
    const cpuState = onCpu.runner.getState();
    expect(Object.keys(state.optimizer).sort()).toEqual(Object.keys(cpuState.optimizer).sort());
    for (const [name, t] of Object.entries(state.optimizer)) {
      expect(maxDiff(t.data, cpuState.optimizer[name]!.data), name).toBeLessThan(1e-4);
    }
    await onGpu.runner.dispose();
    await onCpu.runner.dispose();
    gpu.dispose();
    cpu.dispose();
  });

  it("TrainStepRunner: a value assigned from outside wins over the device copy; deviceResident: false updates the host every step; dispose syncs", async () => {
    const gpu = await webgpuBackend();
    const m = model();
    const runner = new trainer.TrainStepRunner({ backend: gpu, ...m, optimizer: trainer.sgd() });
    await runner.step(batch(0), { lr: 0.1 });
    const head = m.params.find((p) => p.name === "head.bias")!;
    head.value = f32([3], [5, 5, 5]); // assigned while the device holds a newer value
    await runner.step(batch(1), { lr: 0 }); // lr 0: the step keeps the values it was fed
    await runner.dispose(); // syncs
    expect([...head.value.data]).toEqual([5, 5, 5]);

    const m2 = model();
    const hostEveryStep = new trainer.TrainStepRunner({
      backend: gpu,
      ...m2,
      optimizer: trainer.sgd(),
      deviceResident: false,
    });
    const first = m2.params[1]!.value;
    await hostEveryStep.step(batch(0), { lr: 0.1 });
    expect(m2.params[1]!.value).not.toBe(first);
    expect(() => hostEveryStep.getState()).not.toThrow();
    await hostEveryStep.dispose();
    gpu.dispose();
  });
});
