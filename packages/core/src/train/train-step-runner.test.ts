import { describe, expect, it } from "vitest";
import type { Backend, CompileOptions } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import type { Graph } from "../ir/graph.js";
import { adamw } from "../optim/adamw.js";
import { sgd } from "../optim/sgd.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { toyMlp, toyXorBatch } from "./toy-mlp.test-helpers.js";
import { TrainStepRunner } from "./train-step-runner.js";

/** The reference backend, recording each compile's graph and constants. */
function spyBackend(): Backend & { compiles: { graph: Graph; options: CompileOptions }[] } {
  const inner = createReferenceBackend();
  const compiles: { graph: Graph; options: CompileOptions }[] = [];
  return {
    name: "reference-spy",
    compiles,
    compile: (graph, options = {}) => {
      compiles.push({ graph, options });
      return inner.compile(graph, options);
    },
    dispose: () => inner.dispose(),
  };
}

const values = (params: { value: HostTensor }[]): number[][] => params.map((p) => Array.from(p.value.data));

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - b[i]![j]!));
    });
  });
  return worst;
}

describe("TrainStepRunner (reference backend)", () => {
  it("trains a 2-layer MLP on a toy problem: the loss goes down over 30 steps", async () => {
    const mlp = toyMlp({ inputs: 2, hidden: 16, classes: 2, seed: 1 });
    const runner = new TrainStepRunner({
      backend: createReferenceBackend(),
      ...mlp,
      optimizer: adamw({ weightDecay: 0.01 }),
      clipNorm: 5,
    });
    const batch = toyXorBatch(32, 2);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await runner.step(batch, { lr: 0.05 });
      expect(r.applied).toBe(true);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.outputs.logits!.shape).toEqual([32, 2]);
      losses.push(r.loss);
    }
    expect(runner.stepCount).toBe(30);
    const first = losses[0]!;
    const last = losses[29]!;
    expect(last).toBeLessThan(first * 0.6);
    // The parameters the model sees were replaced: evaluating now gives the post-update loss.
    const evalLoss = (await runner.evaluate(batch)).loss!.data[0]!;
    expect(evalLoss).toBeLessThan(last + 0.05);
    await runner.dispose();
  });

  it("evaluate({ outputs }) compiles and returns only the named outputs, with the same values", async () => {
    const backend = spyBackend();
    const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 2 });
    const runner = new TrainStepRunner({ backend, ...mlp, optimizer: sgd({}) });
    const batch = toyXorBatch(8, 1);
    const all = await runner.evaluate(batch);
    const lossOnly = await runner.evaluate(batch, { outputs: ["loss"] });
    expect(Object.keys(all).sort()).toEqual(["logits", "loss"]);
    expect(Object.keys(lossOnly)).toEqual(["loss"]);
    expect(lossOnly.loss!.data[0]).toBe(all.loss!.data[0]);
    expect(backend.compiles.map((c) => c.options.outputs)).toEqual([undefined, ["loss"]]);
    await runner.evaluate(batch, { outputs: ["loss"] });
    expect(backend.compiles).toHaveLength(2);
    await expect(runner.evaluate(batch, { outputs: ["perplexity"] })).rejects.toThrow(
      /the forward has no output "perplexity"; it returns (loss, logits|logits, loss)/,
    );
  });

  it("compiles once per batch-shape signature and binds frozen parameters as constants", async () => {
    const backend = spyBackend();
    const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 1 });
    mlp.params[0]!.trainable = false; // freeze fc1.weight
    const frozenBefore = mlp.params[0]!.value;
    const runner = new TrainStepRunner({ backend, ...mlp, optimizer: sgd({ momentum: 0.9 }) });
    await runner.step(toyXorBatch(8, 1), { lr: 0.1 });
    await runner.step(toyXorBatch(8, 2), { lr: 0.1 });
    expect(backend.compiles).toHaveLength(1);
    await runner.step(toyXorBatch(4, 3), { lr: 0.1 });
    expect(backend.compiles).toHaveLength(2);
    await runner.evaluate(toyXorBatch(4, 3));
    await runner.evaluate(toyXorBatch(4, 4));
    expect(backend.compiles).toHaveLength(3);
    for (const { options } of backend.compiles)
      expect(Object.keys(options.constants ?? {})).toEqual(["fc1.weight"]);
    expect(mlp.params[0]!.value).toBe(frozenBefore);
    expect(mlp.params[2]!.value).not.toBe(frozenBefore);
    expect(Object.keys(runner.getState().optimizer).sort()).toEqual([
      "fc1.bias::momentum_buffer",
      "fc2.bias::momentum_buffer",
      "fc2.weight::momentum_buffer",
    ]);
  });

  it('stepOutputs "loss" compiles the loss and updates alone and trains exactly as "all"', async () => {
    const batch = toyXorBatch(16, 3);
    const run = async (stepOutputs: "all" | "loss") => {
      const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 4 });
      const backend = spyBackend();
      const runner = new TrainStepRunner({ backend, ...mlp, optimizer: adamw(), stepOutputs });
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await runner.step(batch, { lr: 0.05 }));
      return { results, values: values(mlp.params), compiled: backend.compiles[0]!.options.outputs };
    };
    const all = await run("all");
    const lossOnly = await run("loss");
    expect(all.compiled).toBeUndefined();
    expect(lossOnly.compiled).toContain("loss");
    expect(lossOnly.compiled).not.toContain("logits");
    expect(all.results[2]!.outputs.logits!.shape).toEqual([16, 2]);
    expect(lossOnly.results.map((r) => Object.keys(r.outputs))).toEqual([[], [], []]);
    expect(lossOnly.results.map((r) => r.loss)).toEqual(all.results.map((r) => r.loss));
    expect(lossOnly.values).toEqual(all.values);
  });

  it("two runners with the same seed and data produce identical parameters (dropout on)", async () => {
    const run = async (seed: number): Promise<number[][]> => {
      const mlp = toyMlp({ inputs: 2, hidden: 16, classes: 2, seed: 4, dropoutRate: 0.3 });
      const runner = new TrainStepRunner({
        backend: createReferenceBackend(),
        ...mlp,
        optimizer: adamw(),
        dropout: true,
        seed,
      });
      for (let i = 0; i < 5; i++) await runner.step(toyXorBatch(16, 100 + i), { lr: 0.02 });
      return values(mlp.params);
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0); // the seed reaches the dropout masks
  });

  it("resumes exactly from getState()/setState()", async () => {
    const batches = [0, 1, 2, 3].map((i) => toyXorBatch(8, 10 + i));
    const make = () => {
      const mlp = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 5 });
      return {
        mlp,
        runner: new TrainStepRunner({ backend: createReferenceBackend(), ...mlp, optimizer: adamw() }),
      };
    };
    const straight = make();
    for (const b of batches) await straight.runner.step(b, { lr: 0.01 });

    const first = make();
    for (const b of batches.slice(0, 2)) await first.runner.step(b, { lr: 0.01 });
    const state = first.runner.getState();
    expect(state.step).toBe(2);
    expect(state.optimizerConfig.type).toBe("adamw");
    const resumed = make();
    resumed.mlp.params.forEach((p, i) => {
      p.value = first.mlp.params[i]!.value;
    });
    resumed.runner.setState(state);
    for (const b of batches.slice(2)) await resumed.runner.step(b, { lr: 0.01 });
    expect(values(resumed.mlp.params)).toEqual(values(straight.mlp.params));

    const bad = { ...state, optimizer: { ...state.optimizer, "fc1.bias::m": hostTensor("float32", [3]) } };
    expect(() => resumed.runner.setState(bad)).toThrow(
      /"fc1.bias::m" is float32\[3\], expected float32\[8\]/,
    );
    const missing = { ...state, optimizer: {} };
    expect(() => resumed.runner.setState(missing)).toThrow(/missing: .*fc1.weight::m/);
  });

  it("gradient accumulation over 2 micro-batches equals one step on the combined batch", async () => {
    const whole = toyXorBatch(8, 21);
    const half = (from: number): Record<string, HostTensor> => ({
      x: hostTensor("float32", [4, 2], whole.x!.data.slice(from * 2, from * 2 + 8) as Float32Array),
      labels: hostTensor("int32", [4], whole.labels!.data.slice(from, from + 4) as Int32Array),
    });
    const big = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 6 });
    const acc = toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 6 });
    const opts = { backend: createReferenceBackend(), optimizer: sgd({ momentum: 0.5 }), clipNorm: 0.5 };
    const r1 = new TrainStepRunner({ ...opts, ...big });
    const r2 = new TrainStepRunner({ ...opts, ...acc, gradientAccumulation: 2 });
    for (let k = 0; k < 2; k++) {
      const full = await r1.step(whole, { lr: 0.3 });
      const a = await r2.step(half(0), { lr: 0.3 });
      expect(a.applied).toBe(false);
      expect(r2.microStepCount).toBe(1);
      expect(r2.getState().accumulators["fc1.weight::grad_acc"]!.shape).toEqual([2, 8]);
      const b = await r2.step(half(4), { lr: 0.3 });
      expect(b.applied).toBe(true);
      expect(b.gradNorm).toBeCloseTo(full.gradNorm!, 5);
      expect((a.loss + b.loss) / 2).toBeCloseTo(full.loss, 5);
    }
    expect(r2.stepCount).toBe(2);
    expect(r2.getState().accumulators).toEqual({});
    expect(maxAbsDiff(values(acc.params), values(big.params))).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(values(acc.params), values(toyMlp({ inputs: 2, hidden: 8, classes: 2, seed: 6 }).params)),
    ).toBeGreaterThan(1e-3);
  });

  it("rejects overlapping steps and bad options", async () => {
    const mlp = toyMlp({ inputs: 2, hidden: 4, classes: 2, seed: 1 });
    const runner = new TrainStepRunner({ backend: createReferenceBackend(), ...mlp, optimizer: adamw() });
    const batch = toyXorBatch(4, 1);
    const first = runner.step(batch, { lr: 0.01 });
    await expect(runner.step(batch, { lr: 0.01 })).rejects.toThrow(/already running/);
    await first;
    await expect(runner.step(batch, { lr: Number.NaN })).rejects.toThrow(/lr must be a finite number/);
    expect(
      () =>
        new TrainStepRunner({
          backend: createReferenceBackend(),
          ...mlp,
          optimizer: adamw(),
          gradientAccumulation: 1.5,
        }),
    ).toThrow(/positive integer/);
  });
});
