import { describe, expect, it } from "vitest";
import {
  bfloat16ArrayToFloat32,
  bfloat16BitsToNumber,
  float16ArrayToFloat32,
  float16BitsToNumber,
  numberToFloat16Bits,
} from "./float16.js";

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

describe("numberToFloat16Bits", () => {
  it("round-trips every finite half and every infinity exactly (all 65,536 patterns)", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = float16BitsToNumber(bits);
      if (Number.isNaN(v)) expect(numberToFloat16Bits(v)).toBe(0x7e00);
      else expect(numberToFloat16Bits(v)).toBe(bits);
    }
  });

  it("rounds to the nearest half, ties to even, and overflows to infinity past 65504", () => {
    const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
    expect(numberToFloat16Bits(1 + ulp1 / 2)).toBe(0x3c00); // tie → even mantissa 0
    expect(numberToFloat16Bits(1 + (3 * ulp1) / 2)).toBe(0x3c02); // tie → even mantissa 2
    expect(numberToFloat16Bits(1 + ulp1 * 0.51)).toBe(0x3c01);
    expect(numberToFloat16Bits(0.1)).toBe(0x2e66);
    expect(numberToFloat16Bits(-(2 ** -25))).toBe(0x8000); // tie between 0 and the smallest subnormal → 0
    expect(numberToFloat16Bits(2 ** -25 * 1.01)).toBe(0x0001);
    expect(numberToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // subnormal rounding carries into the first normal
    expect(numberToFloat16Bits(65519)).toBe(0x7bff);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00);
    expect(numberToFloat16Bits(-1e6)).toBe(0xfc00);
  });

  it("the largest error over 10,000 random float32 values in ±4 is half a half-ulp", () => {
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 10_000; i++) {
      const x = Math.fround((rand() - 0.5) * 8);
      const y = float16BitsToNumber(numberToFloat16Bits(x));
      const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -14))) - 10);
      expect(Math.abs(y - x)).toBeLessThanOrEqual(ulp / 2);
    }
  });
});

describe("float16ArrayToFloat32 / bfloat16ArrayToFloat32", () => {
  it("decode all 65,536 bit patterns exactly as the scalar decoders", () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const half = new Float32Array(65536);
    const brain = new Float32Array(65536);
    float16ArrayToFloat32(bits, half);
    bfloat16ArrayToFloat32(bits, brain);
    for (let b = 0; b < 65536; b++) {
      expect(Object.is(half[b], Math.fround(float16BitsToNumber(b))), `f16 ${b}`).toBe(true);
      const want = bfloat16BitsToNumber(b);
      expect(Number.isNaN(want) ? Number.isNaN(brain[b]!) : Object.is(brain[b], want), `bf16 ${b}`).toBe(
        true,
      );
    }
  });
});
