import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { TunekitError } from "../errors.js";
import { adamw } from "../optim/adamw.js";
import { sgd } from "../optim/sgd.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";
import { Trainer } from "./trainer.js";
import type { TrainerOptions } from "./trainer-options.js";

const backend = createReferenceBackend();

/** AdamW that counts its host-side calls, to tell which path a run took. */
function countingAdamw() {
  const base = adamw({ weightDecay: 0.01 });
  const calls = { host: 0 };
  const optimizer = {
    ...base,
    updateOnHost: (args: Parameters<NonNullable<typeof base.updateOnHost>>[0]) => {
      calls.host++;
      base.updateOnHost!(args);
    },
    hostKernel: (args: Parameters<NonNullable<typeof base.hostKernel>>[0]) => {
      calls.host++;
      return base.hostKernel!(args);
    },
  };
  return { optimizer, calls };
}

async function train(extra: Partial<TrainerOptions>) {
  const { optimizer, calls } = countingAdamw();
  const model = toyModel("classification", 3);
  const loss: number[] = [];
  const trainer = new Trainer({
    model,
    callbacks: [{ onStep: (s) => void loss.push(s.loss) }],
    backend,
    batchSize: 4,
    maxSteps: 5,
    lr: 1e-2,
    optimizer,
    clipNorm: 0.5,
    dropout: false,
    seed: 3,
    ...extra,
  });
  await trainer.fit(toyData(24, 3, "classification"));
  await trainer.dispose();
  return {
    hostCalls: calls.host,
    loss,
    weights: new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.value.data)])),
  };
}

describe("Trainer optimizerOnHost", () => {
  it("trains like the in-graph update: weights within 1e-6 after 5 clipped AdamW steps, on 1 and 2 threads", async () => {
    const inGraph = await train({});
    expect(inGraph.hostCalls).toBe(0);
    for (const extra of [{ optimizerOnHost: true }, { optimizerOnHost: true, hostThreads: 2 }]) {
      const onHost = await train(extra);
      expect(onHost.loss.length).toBe(5);
      expect(onHost.hostCalls).toBeGreaterThan(0);
      for (const [i, l] of inGraph.loss.entries()) expect(Math.abs(onHost.loss[i]! - l)).toBeLessThan(1e-6);
      for (const [name, w] of inGraph.weights) {
        const h = onHost.weights.get(name)!;
        let worst = 0;
        for (const [j, v] of w.entries()) worst = Math.max(worst, Math.abs(h[j]! - v));
        expect(worst, name).toBeLessThan(1e-6);
      }
    }
  });

  it("rejects hostThreads without optimizerOnHost and an optimizer without a host update, before training", () => {
    const model = toyModel("classification", 3);
    const build = (extra: Partial<TrainerOptions>) => () =>
      new Trainer({ model, backend, batchSize: 4, maxSteps: 1, ...extra });
    expect(build({ hostThreads: 2 })).toThrow(/hostThreads is 2; expected 1 unless optimizerOnHost is true/);
    expect(build({ optimizerOnHost: true, hostThreads: 0 })).toThrow(/an integer from 1 to 64/);
    expect(build({ optimizerOnHost: true, optimizer: sgd() })).toThrow(TunekitError);
    expect(build({ optimizerOnHost: true, optimizer: sgd() })).toThrow(/has no host update/);
  });
});
