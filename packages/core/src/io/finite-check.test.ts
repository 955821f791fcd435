import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { assertFiniteWeights, firstNonFinite } from "./finite-check.js";

describe("firstNonFinite / assertFiniteWeights", () => {
  const ok = hostTensor("float32", [2], Float32Array.of(1, -2));
  const ids = hostTensor("int32", [2], Int32Array.of(1, 2));

  it("finds the first NaN or Infinity by tensor order and index", () => {
    expect(
      firstNonFinite([
        ["a", ok],
        ["ids", ids],
      ]),
    ).toBeUndefined();
    const nan = hostTensor("float32", [3], Float32Array.of(0, Number.NaN, Number.POSITIVE_INFINITY));
    expect(
      firstNonFinite([
        ["a", ok],
        ["b", nan],
      ]),
    ).toEqual({ name: "b", index: 1, value: Number.NaN });
    const inf = hostTensor("float32", [1], Float32Array.of(Number.NEGATIVE_INFINITY));
    expect(firstNonFinite([["c", inf]])?.value).toBe(Number.NEGATIVE_INFINITY);
  });

  it("throws CHECKPOINT_INVALID naming the file, the tensor and the value", () => {
    const bad = hostTensor("float32", [2], Float32Array.of(0, Number.NaN));
    let err: unknown;
    try {
      assertFiniteWeights([["classifier.weight", bad]], "run/model.safetensors");
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "CHECKPOINT_INVALID")).toBe(true);
    expect((err as Error).message).toContain(
      'run/model.safetensors: tensor "classifier.weight" holds NaN at index 1',
    );
  });
});
