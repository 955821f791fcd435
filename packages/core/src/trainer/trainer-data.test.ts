import { describe, expect, it } from "vitest";
import { createReferenceBackend } from "../backend/reference-backend.js";
import { isTunekitError } from "../errors.js";
import { Trainer } from "./trainer.js";
import { checkRegressionTargets, checkTrainerData } from "./trainer-data.js";
import { toyData, toyModel } from "../testing/trainer-fixtures.js";

function errorOf(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("regression targets", () => {
  it("finite targets within ±1e6 pass", () => {
    checkRegressionTargets(Float32Array.of(0, 5, -1e6, 1e6), "train");
  });

  it("NaN, Infinity (1e39 in float32) and |y| > 1e6 are DATA_INVALID naming the row and the value", () => {
    for (const [y, shown] of [
      [Number.NaN, "NaN"],
      [1e39, "Infinity"],
      [-2e6, "-2000000"],
    ] as const) {
      const e = errorOf(() => checkRegressionTargets(Float32Array.of(1, 2, y), "train"));
      expect(isTunekitError(e, "DATA_INVALID")).toBe(true);
      expect(e.message).toContain(`train row 2 has the regression target ${shown}`);
      expect(e.message).toContain("scale the targets");
    }
  });

  it("the Trainer refuses such data before training (it used to blame the divergence on the lr)", async () => {
    const data = toyData(16, 1, "regression");
    (data.labels as Float32Array)[3] = 1e39;
    expect(
      isTunekitError(
        errorOf(() => checkTrainerData(data, "train")),
        "DATA_INVALID",
      ),
    ).toBe(true);
    const trainer = new Trainer({
      model: toyModel("regression", 1),
      backend: createReferenceBackend(),
      batchSize: 4,
      maxSteps: 2,
      lr: 1e-3,
    });
    const err = await trainer.fit(data).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTunekitError(err, "DATA_INVALID")).toBe(true);
    expect((err as Error).message).toContain("row 3 has the regression target Infinity");
  });
});
