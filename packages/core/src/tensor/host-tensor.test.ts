import { describe, expect, it } from "vitest";
import { hostTensor, sizeOf } from "./host-tensor.js";

describe("hostTensor", () => {
  it("checks element counts and array types", () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 3])).toBe(6);
    expect(hostTensor("float32", [2], [1, 2]).data).toEqual(new Float32Array([1, 2]));
    expect(hostTensor("int32", [3]).data).toEqual(new Int32Array(3));
    expect(() => hostTensor("float32", [3], new Float32Array(2))).toThrow(/needs 3 elements/);
    expect(() => hostTensor("int32", [2], new Float32Array(2) as unknown as Int32Array)).toThrow(
      /Float32Array but dtype is int32/,
    );
    expect(() => hostTensor("float32", [-1])).toThrow(/non-negative/);
  });
});
