import type { Tensor } from "../ir/graph.js";
import { matmul, reshape } from "../ir/ops.js";
import { unbroadcast, type VjpRule, when } from "./vjp-rule.js";

/**
 * VJP of `matmul(a, b, { transposeA, transposeB })`, honouring both transpose flags and
 * broadcast batch axes (the cotangent of an operand whose batch axes were broadcast is
 * summed back to its shape).
 *
 * The common "activation × weight" case — `b` a rank-2 weight, `a` of rank ≥ 3 without
 * `transposeA` — gets its weight gradient from ONE rank-2 matmul over the flattened rows
 * (`dW = reshape(g, [-1, N])ᵀ · reshape(a, [-1, K])` for `transposeB`) instead of a batched
 * matmul followed by a sum over the batch axes.
 *
 * @example
 * ```ts
 * const [dx, dW] = matmulVjp({ node, inputs: [x, w], output, cotangent, needs: [true, true] });
 * ```
 */
export const matmulVjp: VjpRule<"matmul"> = ({ node, inputs: [a, b], cotangent: g, needs }) => {
  const { transposeA: tA, transposeB: tB } = node.attrs;
  return [when(needs[0], () => gradA(a!, b!, g, tA, tB)), when(needs[1], () => gradB(a!, b!, g, tA, tB))];
};

function gradA(a: Tensor, b: Tensor, g: Tensor, tA: boolean, tB: boolean): Tensor {
  // With A' = op(a), B' = op(b): dA' = g · B'ᵀ, and da = dA' (or dA'ᵀ = B' · gᵀ when tA).
  const full = tA ? matmul(b, g, { transposeA: tB, transposeB: true }) : matmul(g, b, { transposeB: !tB });
  return unbroadcast(full, a.shape);
}

function gradB(a: Tensor, b: Tensor, g: Tensor, tA: boolean, tB: boolean): Tensor {
  if (b.rank === 2 && a.rank > 2 && !tA) {
    // Flatten every batch row of a [..., M, K] and g [..., M, N] into one rank-2 product.
    const k = a.shape[a.rank - 1]!;
    const n = g.shape[g.rank - 1]!;
    const rowsA = reshape(a, [-1, k]);
    const rowsG = reshape(g, [-1, n]);
    return tB ? matmul(rowsG, rowsA, { transposeA: true }) : matmul(rowsA, rowsG, { transposeA: true });
  }
  // dB' = A'ᵀ · g, and db = dB' (or dB'ᵀ = gᵀ · A' when tB).
  const full = tB ? matmul(g, a, { transposeA: true, transposeB: tA }) : matmul(a, g, { transposeA: !tA });
  return unbroadcast(full, b.shape);
}
