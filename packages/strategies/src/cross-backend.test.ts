import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import {
  FIXTURE_TRAINING_TOLERANCES,
  parityFixtureFolders,
  trainParityFixture,
  worstRelativeLossDifference,
} from "@tunekit/core/testing";
import { describe, expect, it } from "vitest";

// Issue 5 item 4, checked directly: the same 100 AdamW steps of the parity fixture (every
// parameter trained, dropout off, two fixed batches, lr 1e-3) on tfjs-wasm and onnx-cpu give
// per-step losses within 1e-4 relative. (Each backend package also checks its run against the
// float64 reference backend: src/fixture-training.test.ts.) This package is the one that has
// both backends as devDependencies.
describe("cross-backend agreement: tfjs-wasm vs onnx-cpu", () => {
  it("100 AdamW steps: per-step losses within 1e-4 relative, final parameters within 1e-4", async () => {
    const folder = parityFixtureFolders()[0]!;
    const tfjs = await createTfjsBackend({ engine: "wasm", log: () => {} });
    const a = await trainParityFixture(folder, tfjs, { steps: 100, lr: 1e-3 }).finally(() => tfjs.dispose());
    const onnx = await createOnnxBackend();
    const b = await trainParityFixture(folder, onnx, { steps: 100, lr: 1e-3 }).finally(() => onnx.dispose());

    const { worst, step } = worstRelativeLossDifference(a.losses, b.losses);
    let worstValue = 0;
    for (const [name, value] of b.finalValues) {
      const ours = a.finalValues.get(name)!;
      for (let i = 0; i < value.data.length; i++) {
        worstValue = Math.max(worstValue, Math.abs(ours.data[i]! - value.data[i]!));
      }
    }
    console.info(
      `tfjs-wasm vs onnx-cpu over 100 steps: worst relative loss difference ${worst.toExponential(3)} ` +
        `(step ${step}), worst final parameter difference ${worstValue.toExponential(3)}; loss ` +
        `${b.losses[0]!.toFixed(5)} -> ${b.losses[99]!.toFixed(5)}`,
    );
    expect(a.losses).toHaveLength(100);
    expect(worst, `worst at step ${step}`).toBeLessThanOrEqual(FIXTURE_TRAINING_TOLERANCES.crossBackend);
    expect(worstValue).toBeLessThanOrEqual(FIXTURE_TRAINING_TOLERANCES.finalValues);
    expect(b.losses[99]!).toBeLessThan(b.losses[0]! * 0.5); // real training, not a flat curve
  });
});
