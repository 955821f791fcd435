import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { mulberry32 } from "../data/random.js";
import { adamw } from "../optim/adamw.js";
import { sgd } from "../optim/sgd.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { toyMlp } from "./toy-mlp.test-helpers.js";
import { TrainStepRunner, type TrainStepState } from "./train-step-runner.js";

/** A batch of 16 rows of 256 features (the first layer, 256 × 320, is large enough to go to a worker). */
function batch(seed: number): Record<string, HostTensor> {
  const rng = mulberry32(seed);
  const x = Array.from({ length: 16 * 256 }, () => rng() * 2 - 1);
  const labels = Array.from({ length: 16 }, (_, i) => (x[i * 256]! + x[i * 256 + 1]! > 0 ? 1 : 0));
  return { x: hostTensor("float32", [16, 256], x), labels: hostTensor("int32", [16], labels) };
}

async function train(options: { optimizerOnHost: boolean; hostThreads?: number }) {
  const mlp = toyMlp({ inputs: 256, hidden: 320, classes: 2, seed: 3 });
  const runner = new TrainStepRunner({
    backend: createReferenceBackend(),
    ...mlp,
    optimizer: adamw({ weightDecay: 0.01, decayFilter: "hf" }),
    clipNorm: 1,
    ...options,
  });
  const losses: number[] = [];
  let state: TrainStepState | undefined;
  for (let i = 0; i < 6; i++) {
    losses.push((await runner.step(batch(i % 3), { lr: 0.01 })).loss);
    if (i === 3) state = runner.getState();
  }
  const values = mlp.params.map((p) => Float32Array.from(p.value.data));
  await runner.dispose();
  return { losses, values, state: state! };
}

describe("TrainStepRunner hostThreads (AdamW on the host over worker threads)", () => {
  it("2 threads: losses, weights and state bit-identical to one host thread, and within 1e-5 of the in-graph update", async () => {
    const one = await train({ optimizerOnHost: true });
    const two = await train({ optimizerOnHost: true, hostThreads: 2 });
    const graph = await train({ optimizerOnHost: false });
    expect(two.values[0]!.length).toBe(256 * 320);
    expect(two.losses).toEqual(one.losses);
    two.values.forEach((v, k) => {
      expect(
        v.every((x, j) => Object.is(x, one.values[k]![j])),
        `param ${k}`,
      ).toBe(true);
    });
    for (const [name, t] of Object.entries(two.state.optimizer)) {
      const ref = one.state.optimizer[name]!.data;
      expect(
        t.data.every((x, j) => Object.is(x, ref[j])),
        name,
      ).toBe(true);
    }
    two.losses.forEach((l, i) => {
      expect(Math.abs(l - graph.losses[i]!), `step ${i}`).toBeLessThan(1e-5);
    });
    let worst = 0;
    two.values.forEach((v, k) => {
      v.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - graph.values[k]![j]!));
      });
    });
    expect(worst).toBeLessThan(1e-5);
    expect(two.losses[5]).not.toBe(two.losses[0]);
  });

  it("hostThreads without optimizerOnHost, with an optimizer that has no host kernel, or out of range is an INVALID_ARGUMENT", () => {
    const mlp = toyMlp({ inputs: 2, hidden: 4, classes: 2, seed: 1 });
    const make = (o: object) =>
      new TrainStepRunner({ backend: createReferenceBackend(), ...mlp, optimizer: adamw(), ...o });
    expect(() => make({ hostThreads: 2 })).toThrow(/hostThreads 2 needs optimizerOnHost/);
    expect(() => make({ hostThreads: 0, optimizerOnHost: true })).toThrow(/integer from 1 to 64, got 0/);
    expect(
      () =>
        new TrainStepRunner({
          backend: createReferenceBackend(),
          ...mlp,
          optimizer: { ...sgd(), updateOnHost: adamw().updateOnHost! },
          optimizerOnHost: true,
          hostThreads: 2,
        }),
    ).toThrow(/an optimizer with hostKernel \(sgd has none\)/);
  });
});
