/**
 * Decodes one IEEE 754 half-precision (binary16) value, given as its 16 raw bits, to a
 * JavaScript number. Subnormals, infinities, NaN and signed zero are handled exactly.
 *
 * @example
 * ```ts
 * float16BitsToNumber(0x3c00); // 1
 * float16BitsToNumber(0x7bff); // 65504 (largest finite half)
 * ```
 */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes one bfloat16 value, given as its 16 raw bits, to a JavaScript number
 * (bfloat16 is the upper half of a float32).
 *
 * @example
 * ```ts
 * bfloat16BitsToNumber(0x3f80); // 1
 * ```
 */
export function bfloat16BitsToNumber(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0]!;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
