/**
 * Max relative error `max|a - b| / max|b|` (absolute when `b` is all zeros): the error of
 * the worst element, measured against the scale of the reference `b`.
 *
 * @example
 * ```ts
 * maxRelativeError(ours.data, torch.data) <= 1e-4;
 * ```
 */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLengths(a, b);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * Relative L2 error `‖a - b‖₂ / max(‖b‖₂, floor)` (absolute when both are 0). The floor
 * keeps a reference that is zero in exact arithmetic (and so only rounding noise) from
 * turning float noise into a huge relative error.
 *
 * @example
 * ```ts
 * relativeL2Error(ourGrad.data, torchGrad.data) <= 1e-3;
 * ```
 */
export function relativeL2Error(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  checkLengths(a, b);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    diff += d * d;
    norm += b[i]! * b[i]!;
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  const denom = Math.max(Math.sqrt(norm), floor);
  return denom === 0 ? Math.sqrt(diff) : Math.sqrt(diff) / denom;
}

/**
 * L2 norm of several tensors taken together.
 *
 * @example
 * ```ts
 * const g = globalL2Norm(grads.map((t) => t.data));
 * ```
 */
export function globalL2Norm(tensors: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) s += t[i]! * t[i]!;
  return Math.sqrt(s);
}

/**
 * Max absolute error `max|a - b|`.
 *
 * @example
 * ```ts
 * maxAbsoluteError(updated.data, torchUpdated.data) <= 1e-5;
 * ```
 */
export function maxAbsoluteError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLengths(a, b);
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
  }
  return diff;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new Error(`parity: compared tensors have ${a.length} and ${b.length} elements`);
  }
}
