import type { Tensor } from "@tunekit/core";
import { add, cast, mul, sub } from "@tunekit/core/ir";

// Scales of the three truncation levels: level k keeps the bits of x between 2^-e(k-1)
// and 2^-e(k). Each level's integer stays below 2^31 for 0 <= x < 2^27.
const LEVELS = [4, 30, 56] as const;

/**
 * `x` with no gradient (PyTorch's `.detach()`), for NON-NEGATIVE float32 values below
 * 2^27 (≈1.3e8), built from the IR's existing ops: the value is split into three parts by
 * float -> int32 -> float casts (casts pass no gradient), each part exact, so the result
 * equals `x` to 2^-56 absolute (bit-exact for float32 `x` ≥ 2^-32). Used for DoRA's weight
 * norm, which PEFT detaches (DoRA paper §4.3). Negative or larger inputs give wrong values.
 *
 * @example
 * ```ts
 * const norm = stopGradientNonNegative(sqrt(sum(mul(w, w), 1))); // value of the norm, no gradient
 * ```
 */
export function stopGradientNonNegative(x: Tensor): Tensor {
  let rest = x;
  let out: Tensor | undefined;
  for (const e of LEVELS) {
    const scale = 2 ** e;
    const part = mul(cast(cast(mul(rest, scale), "int32"), "float32"), 1 / scale);
    out = out ? add(out, part) : part;
    rest = sub(rest, part);
  }
  return out!;
}
