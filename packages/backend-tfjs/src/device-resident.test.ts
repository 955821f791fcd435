import * as tf from "@tensorflow/tfjs";
import { hostTensor } from "@tunekit/core";
import { matmul, mean, mul, trace } from "@tunekit/core/ir";
import { describeDeviceResidency } from "@tunekit/core/testing";
import * as trainer from "@tunekit/core/trainer";
import { describe, expect, it } from "vitest";
import { createTfjsBackend } from "./index.js";

const quiet = { log: () => {} };

// The shared contract, on the wasm engine with keepOnDevice: parameters and optimizer state stay
// tf.Tensors between steps.
describeDeviceResidency("tfjs-wasm (keepOnDevice)", () =>
  createTfjsBackend({ engine: "wasm", keepOnDevice: true, ...quiet }),
);

describe("tfjs keepOnDevice", () => {
  it("is off by default: the backend keeps nothing and its executables have no runWithDevice", async () => {
    const backend = await createTfjsBackend({ engine: "wasm", ...quiet });
    expect(backend.keepsOnDevice).toBe(false);
    const exe = await backend.compile(
      trace((g) => ({ y: mul(g.input("x", "float32", [2]), 2) })),
      {
        keepOnDevice: ["y"],
      },
    );
    expect(exe.runWithDevice).toBeUndefined();
    expect([...(await exe.run({ x: hostTensor("float32", [2], [1, 2]) })).y!.data]).toEqual([2, 4]);
    backend.dispose();
  });

  it("training on the device leaks no tensors: after dispose, tf.memory().numTensors is back at its baseline", async () => {
    const backend = await createTfjsBackend({ engine: "wasm", keepOnDevice: true, ...quiet });
    const w: trainer.TrainableParameterLike = {
      name: "w",
      value: hostTensor("float32", [3, 2], [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
      trainable: true,
    };
    const baseline = tf.memory().numTensors;
    const runner = new trainer.TrainStepRunner({
      backend,
      params: [w],
      forward: (g, x) => {
        const y = matmul(x.x!, g.param(w));
        return { loss: mean(mul(y, y)) };
      },
      optimizer: trainer.adamw(),
    });
    const x = hostTensor("float32", [4, 3], [1, 0, 2, -1, 1, 0, 0.5, 0.5, 1, 2, -1, 0]);
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await runner.step({ x }, { lr: 0.01 });
      counts.push(tf.memory().numTensors);
    }
    // One tensor for w and two for its AdamW moments stay live between steps; nothing accumulates.
    expect(new Set(counts.slice(1)).size).toBe(1);
    await runner.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    // dispose() synced the trained value to the host.
    expect(w.value.data).not.toEqual(Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]));
    backend.dispose();
  });
});
