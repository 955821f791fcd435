import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { loadTrainingCheckpoint } from "../checkpoint/training-checkpoint.js";
import { adamw } from "../optim/adamw.js";
import { describeDeviceResidency } from "../testing/describe-device-residency.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";
import { Trainer } from "../trainer/trainer.js";
import { withSimulatedDevice } from "./simulated-device.test-helpers.js";
import { toyMlp, toyXorBatch } from "./toy-mlp.test-helpers.js";
import { TrainStepRunner } from "./train-step-runner.js";

const snapshot = (params: { value: { data: ArrayLike<number> } }[]): number[][] =>
  params.map((p) => Array.from(p.value.data));

function runner(backend: ReturnType<typeof createReferenceBackend>, seed = 1) {
  const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed });
  const r = new TrainStepRunner({
    backend,
    ...mlp,
    optimizer: adamw({ weightDecay: 0.01 }),
    clipNorm: 1,
    gradientAccumulation: 2,
  });
  return { mlp, runner: r };
}

describeDeviceResidency("a simulated device", () => withSimulatedDevice(createReferenceBackend()).backend);

describe("TrainStepRunner with values kept on the device", () => {
  it("trains exactly as on the host, reads nothing back until syncToHost, and holds one device value per parameter and state slot", async () => {
    const { backend, stats } = withSimulatedDevice(createReferenceBackend());
    const device = runner(backend);
    const host = runner(createReferenceBackend());
    const before = device.mlp.params.map((p) => p.value);
    for (let i = 0; i < 12; i++) {
      const batch = toyXorBatch(8, i % 3);
      const a = await device.runner.step(batch, { lr: 0.05 });
      const b = await host.runner.step(batch, { lr: 0.05 });
      expect(a.loss).toBe(b.loss);
      expect(a.gradNorm).toBe(b.gradNorm);
    }
    expect(stats.reads).toBe(0);
    for (const [i, p] of device.mlp.params.entries()) expect(p.value).toBe(before[i]);
    // 4 parameters and their AdamW m and v; accumulators were freed at the last update.
    expect(stats.live).toBe(12);
    expect(() => device.runner.getState()).toThrow(/syncToHost/);
    // evaluate() feeds the device values without reading them.
    const evalBatch = toyXorBatch(8, 7);
    expect((await device.runner.evaluate(evalBatch)).loss!.data[0]).toBe(
      (await host.runner.evaluate(evalBatch)).loss!.data[0],
    );
    expect(stats.reads).toBe(0);
    await device.runner.syncToHost();
    expect(stats.reads).toBe(12);
    expect(snapshot(device.mlp.params)).toEqual(snapshot(host.mlp.params));
    expect(device.runner.getState().optimizer).toEqual(host.runner.getState().optimizer);
    await device.runner.syncToHost(); // nothing newer: no second copy
    expect(stats.reads).toBe(12);
    await device.runner.dispose();
    expect(stats.live).toBe(0);
    await host.runner.dispose();
  });

  it("setState drops the device's optimizer state and accumulators: training resumes from the restored state", async () => {
    const { backend } = withSimulatedDevice(createReferenceBackend());
    const device = runner(backend);
    const host = runner(createReferenceBackend());
    for (let i = 0; i < 4; i++) {
      await device.runner.step(toyXorBatch(8, i), { lr: 0.05 });
      await host.runner.step(toyXorBatch(8, i), { lr: 0.05 });
    }
    await device.runner.syncToHost();
    const saved = device.runner.getState();
    const savedValues = snapshot(device.mlp.params);
    // Train on, one micro-batch into the next update, then go back to the saved point.
    for (let i = 4; i < 7; i++) await device.runner.step(toyXorBatch(8, i), { lr: 0.05 });
    device.runner.setState(saved);
    for (const [k, p] of device.mlp.params.entries()) {
      p.value = { ...p.value, data: Float32Array.from(savedValues[k]!) };
    }
    for (let i = 4; i < 8; i++) {
      const a = await device.runner.step(toyXorBatch(8, i), { lr: 0.05 });
      const b = await host.runner.step(toyXorBatch(8, i), { lr: 0.05 });
      expect(a.loss).toBe(b.loss);
    }
    await device.runner.syncToHost();
    expect(snapshot(device.mlp.params)).toEqual(snapshot(host.mlp.params));
    await device.runner.dispose();
    await host.runner.dispose();
  });

  it("deviceResident: false keeps everything on the host", async () => {
    const { backend, stats } = withSimulatedDevice(createReferenceBackend());
    const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 1 });
    const r = new TrainStepRunner({ backend, ...mlp, optimizer: adamw(), deviceResident: false });
    const first = mlp.params[0]!.value;
    await r.step(toyXorBatch(8, 1), { lr: 0.05 });
    expect(stats.created).toBe(0);
    expect(mlp.params[0]!.value).not.toBe(first);
    await r.dispose();
  });

  it("Trainer: checkpoints and the model after fit (with and without checkpoints) hold the trained values, as on the host", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-device-"));
    try {
      const train = async (onDevice: boolean, checkpoints = true) => {
        const model = toyModel("classification", 3);
        const { backend, stats } = withSimulatedDevice(createReferenceBackend());
        const trainer = new Trainer({
          model,
          backend: onDevice ? backend : createReferenceBackend(),
          batchSize: 4,
          maxSteps: 5,
          lr: 1e-2,
          dropout: false,
          seed: 3,
          ...(checkpoints ? { checkpoints: { dir: join(dir, String(onDevice)), everySteps: 2 } } : {}),
        });
        const result = await trainer.fit(toyData(24, 3, "classification"));
        const weights = Object.fromEntries(
          model.namedParameters().map(([n, p]) => [n, Array.from(p.value.data)]),
        );
        const ckpt = checkpoints ? await loadTrainingCheckpoint(result.lastCheckpoint!) : undefined;
        await trainer.dispose();
        return { weights, ckpt, stats };
      };
      const onHost = await train(false);
      const onDevice = await train(true);
      expect(onDevice.stats.created).toBeGreaterThan(0);
      expect(onDevice.weights).toEqual(onHost.weights);
      expect(onDevice.ckpt!.state.step).toBe(5);
      expect(onDevice.ckpt!.optimizer).toEqual(onHost.ckpt!.optimizer);
      for (const [name, t] of onHost.ckpt!.model) expect(onDevice.ckpt!.model.get(name)).toEqual(t);
      expect((await train(true, false)).weights).toEqual(onHost.weights);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
