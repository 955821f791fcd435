import { maxAbsoluteError, relativeL2Error } from "../../testing/parity-metrics.js";

/** Anything with numeric `data`: host tensors and the float64 reference backend's outputs. */
interface Numeric {
  readonly data: ArrayLike<number>;
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
      worstZero = Math.max(worstZero, maxAbsoluteError(mine.data, want.data));
    else worst = Math.max(worst, relativeL2Error(mine.data, want.data));
  }
  return { worst, worstZero };
}
