import { describe, expect, it } from "vitest";
import { bfloat16BitsToNumber, float16BitsToNumber } from "./float16.js";

describe("float16BitsToNumber", () => {
  it("decodes normals, subnormals, zeros, infinities and NaN exactly", () => {
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0xc000)).toBe(-2);
    expect(float16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x0000)).toBe(0);
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
    expect(float16BitsToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToNumber(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
  });
});

describe("bfloat16BitsToNumber", () => {
  it("decodes as the upper half of a float32", () => {
    expect(bfloat16BitsToNumber(0x3f80)).toBe(1);
    expect(bfloat16BitsToNumber(0xc040)).toBe(-3);
    expect(bfloat16BitsToNumber(0x3eab)).toBe(0.333984375);
    expect(bfloat16BitsToNumber(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(bfloat16BitsToNumber(0x7fc0)).toBeNaN();
  });
});
