import { describe, expect, it } from "vitest";
import type { Backend } from "../backend/backend.js";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { type FixtureTrainingResult, trainParityFixture } from "./fixture-training.js";
import { parityFixtureFolders } from "./parity-fixtures.js";

/**
 * Tolerances of {@link describeFixtureTrainingAgreement}. Each backend is compared with the
 * float64 reference backend at half the cross-backend tolerance, so any two backends that
 * pass agree with each other to `crossBackend` (triangle inequality).
 *
 * @example
 * ```ts
 * expect(worstRelative).toBeLessThanOrEqual(FIXTURE_TRAINING_TOLERANCES.vsReference);
 * ```
 */
export const FIXTURE_TRAINING_TOLERANCES = Object.freeze({
  /** Relative loss difference allowed between two float32 backends (issue 5 item 4). */
  crossBackend: 1e-4,
  /** Relative loss difference allowed between one backend and the float64 reference. */
  vsReference: 5e-5,
  /** Max absolute difference of any final parameter value from the reference. */
  finalValues: 1e-4,
});

/**
 * Worst relative difference `|a - b| / |b|` over two loss curves, and its step (infinite
 * when the lengths differ or a value is NaN).
 *
 * @example
 * ```ts
 * worstRelativeLossDifference([1, 0.5], [1, 0.5001]); // { worst: ~2e-4, step: 1 }
 * ```
 */
export function worstRelativeLossDifference(
  a: readonly number[],
  b: readonly number[],
): { worst: number; step: number } {
  let worst = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
  let step = -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!);
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      step = i;
    }
  }
  return { worst, step };
}

/**
 * Registers a vitest suite that fine-tunes a parity fixture (`folder`, default the first of
 * {@link parityFixtureFolders}; a BERT classifier or a Llama-family decoder) for `steps` AdamW steps (lr 1e-3, dropout off, two fixed
 * batches) on `createBackend()` and on the float64 reference backend, and checks that the
 * per-step losses agree to {@link FIXTURE_TRAINING_TOLERANCES}`.vsReference` (so two
 * backends that pass agree to `crossBackend`), the final parameters agree, and the loss
 * really went down. Prints the worst difference.
 *
 * @example
 * ```ts
 * // packages/backend-onnx/src/fixture-training.test.ts
 * describeFixtureTrainingAgreement("onnx-cpu", () => createOnnxBackend());
 * describeFixtureTrainingAgreement("onnx-cpu", () => createOnnxBackend(), 50, qwen2FixtureFolder);
 * ```
 */
export function describeFixtureTrainingAgreement(
  backendName: string,
  createBackend: () => Backend | Promise<Backend>,
  steps = 100,
  folder: string = parityFixtureFolders()[0]!,
): void {
  describe(`${steps} AdamW steps on ${backendName} agree with the float64 reference backend`, () => {
    it(`per-step losses within ${FIXTURE_TRAINING_TOLERANCES.vsReference} relative (${folder})`, async () => {
      const backend = await createBackend();
      let got: FixtureTrainingResult;
      try {
        got = await trainParityFixture(folder, backend, { steps, lr: 1e-3 });
      } finally {
        backend.dispose();
      }
      const reference = createReferenceBackend();
      const want = await trainParityFixture(folder, reference, { steps, lr: 1e-3 });
      reference.dispose();

      const { worst, step } = worstRelativeLossDifference(got.losses, want.losses);
      let worstValue = 0;
      let worstName = "";
      for (const [name, value] of want.finalValues) {
        const ours = got.finalValues.get(name);
        for (let i = 0; i < value.data.length; i++) {
          const d = ours ? Math.abs(ours.data[i]! - value.data[i]!) : Number.POSITIVE_INFINITY;
          if (!(d <= worstValue)) {
            worstValue = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
            worstName = name;
          }
        }
      }
      console.info(
        `${backendName} vs reference over ${steps} steps: worst relative loss difference ` +
          `${worst.toExponential(3)} (step ${step}), worst final parameter difference ` +
          `${worstValue.toExponential(3)} (${worstName}); loss ${want.losses[0]!.toFixed(5)} -> ` +
          `${want.losses[steps - 1]!.toFixed(5)}`,
      );
      expect(got.losses).toHaveLength(steps);
      expect(worst, `worst at step ${step}`).toBeLessThanOrEqual(FIXTURE_TRAINING_TOLERANCES.vsReference);
      expect(worstValue, `worst parameter ${worstName}`).toBeLessThanOrEqual(
        FIXTURE_TRAINING_TOLERANCES.finalValues,
      );
      // The run is real training, not a flat curve that would agree trivially.
      expect(want.losses[steps - 1]!).toBeLessThan(want.losses[0]! * 0.5);
    });
  });
}
