/** Anything with numeric `data`: host tensors and the float64 reference backend's outputs. */
interface Numeric {
  readonly data: ArrayLike<number>;
}

/** `‖a − b‖ / ‖b‖` (b ≈ 0 guarded). @example `expect(relL2(got.data, want.data)).toBeLessThan(1e-5)` */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** Largest absolute difference. @example `expect(maxAbs(got.data, want.data)).toBeLessThan(1e-5)` */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Worst gradient error over `names` against a PyTorch reference's `grad.<name>` tensors: relative
 * L2 per tensor, except the attention key biases, whose exact gradient is zero (softmax ignores a
 * per-query constant) and which are compared in absolute terms. Throws when a reference is missing.
 *
 * @example
 * ```ts
 * const { worst, worstZero } = gradientErrors(names, got, (n) => ref.get(n));
 * ```
 */
export function gradientErrors(
  names: readonly string[],
  got: Readonly<Record<string, Numeric>>,
  reference: (name: string) => Numeric | undefined,
): { worst: number; worstZero: number } {
  let worst = 0;
  let worstZero = 0;
  for (const name of names) {
    const want = reference(`grad.${name}`);
    const mine = got[`grad.${name}`];
    if (want === undefined || mine === undefined) throw new Error(`no gradient of ${name} to compare`);
    if (name.endsWith("attention.self.key.bias"))
      worstZero = Math.max(worstZero, maxAbs(mine.data, want.data));
    else worst = Math.max(worst, relL2(mine.data, want.data));
  }
  return { worst, worstZero };
}
