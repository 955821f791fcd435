import { softmax } from "../ir/composites.js";
import { asColumn, chunkBounds, chunkRowsOf, validRows } from "../ir/linear-cross-entropy.js";
import type { Tensor } from "../ir/graph.js";
import {
  add,
  cast,
  concat,
  div,
  equal,
  erf,
  exp,
  matmul,
  maximum,
  mean,
  mul,
  oneHot,
  reshape,
  sqrt,
  sub,
  sum,
  tanh,
} from "../ir/ops.js";
import { unbroadcast, type VjpRuleTable, when } from "./vjp-rule.js";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_COEF = 0.044715;

/**
 * Own VJPs of the composite ops, written in IR ops (never by differentiating their
 * decomposition):
 * - `softmax`: `y · (g − Σ g·y)`;
 * - `logSoftmax`: `g − softmax(x) · Σ g`, with `softmax(x) = exp(y)`;
 * - `layerNorm`: the closed form `rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ·x̂))` with `ĝ = g·γ`,
 *   computing the mean and `rstd` once and reusing them for `x̂`, `dγ = Σ g·x̂`, `dβ = Σ g`;
 * - `gelu`: the analytic derivative of the erf or the tanh form;
 * - `attention`: recomputes the probabilities with the `softmax` composite, then
 *   `dV = Pᵀ g`, `dS = P · (dP − Σ dP·P)`, `dQ = s·dS K`, `dK = s·dSᵀ Q`, `dBias = Σ dS`;
 * - `crossEntropy`: `(softmax(logits) − onehot(labels)) · valid / max(count, 1) · g`;
 * - `linearCrossEntropy`: the same per chunk of rows, with each chunk's logits `h_c Wᵀ`
 *   recomputed (never kept from the forward pass): `dh_c = d_c W`, `dW = Σ d_c ᵀ h_c`.
 *
 * @example
 * ```ts
 * const [dx] = COMPOSITE_VJP_RULES.softmax!({ node, inputs, output, cotangent, needs });
 * ```
 */
export const COMPOSITE_VJP_RULES: VjpRuleTable = {
  softmax: ({ node, output: y, cotangent: g, needs }) => [
    when(needs[0], () => mul(y, sub(g, sum(mul(g, y), node.attrs.axis, true)))),
  ],
  logSoftmax: ({ node, output: y, cotangent: g, needs }) => [
    when(needs[0], () => sub(g, mul(exp(y), sum(g, node.attrs.axis, true)))),
  ],
  layerNorm: ({ node, inputs: [x, gamma, beta], cotangent: g, needs }) => {
    const last = x!.rank - 1;
    const dBeta = when(needs[2], () => reshape(sumToLastAxis(g), beta!.shape));
    if (!needs[0] && !needs[1]) return [undefined, undefined, dBeta];
    // Mean and rstd are computed once and shared by x̂, dx and dγ.
    const centered = sub(x!, mean(x!, last, true));
    const rstd = div(1, sqrt(add(mean(mul(centered, centered), last, true), node.attrs.eps)));
    const xhat = mul(centered, rstd);
    const dx = when(needs[0], () => {
      const gh = mul(g, gamma!);
      const inner = sub(sub(gh, mean(gh, last, true)), mul(xhat, mean(mul(gh, xhat), last, true)));
      return mul(rstd, inner);
    });
    return [dx, when(needs[1], () => sumToLastAxis(mul(g, xhat))), dBeta];
  },
  gelu: ({ node, inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => {
      if (node.attrs.approximate === "tanh") {
        // y = ½x(1 + t), t = tanh(u), u = c(x + a x³)
        // dy/dx = ½(1 + t) + ½x(1 − t²) · c(1 + 3a x²)
        const x2 = mul(x!, x!);
        const u = mul(add(x!, mul(mul(x2, x!), GELU_TANH_COEF)), SQRT_2_OVER_PI);
        const t = tanh(u);
        const du = mul(add(mul(x2, 3 * GELU_TANH_COEF), 1), SQRT_2_OVER_PI);
        const d = add(mul(add(t, 1), 0.5), mul(mul(mul(x!, 0.5), sub(1, mul(t, t))), du));
        return mul(g, d);
      }
      // y = x·Φ(x): dy/dx = Φ(x) + x·φ(x)
      const cdf = mul(add(erf(mul(x!, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(x!, x!), -0.5)), INV_SQRT_2PI);
      return mul(g, add(cdf, mul(x!, pdf)));
    }),
  ],
  attention: ({ node, inputs: [q, k, v, bias], cotangent: g, needs }) => {
    const { scale } = node.attrs;
    const p = softmax(add(mul(matmul(q!, k!, { transposeB: true }), scale), bias!), -1);
    const dv = when(needs[2], () => matmul(p, g, { transposeA: true }));
    if (!needs[0] && !needs[1] && !needs[3]) return [undefined, undefined, dv, undefined];
    const dp = matmul(g, v!, { transposeB: true });
    const ds = mul(p, sub(dp, sum(mul(dp, p), -1, true)));
    const dsScaled = needs[0] || needs[1] ? mul(ds, scale) : undefined;
    return [
      when(needs[0], () => matmul(dsScaled!, k!)),
      when(needs[1], () => matmul(dsScaled!, q!, { transposeA: true })),
      dv,
      when(needs[3], () => unbroadcast(ds, bias!.shape)),
    ];
  },
  crossEntropy: ({ node, inputs: [logits, labels], cotangent: g, needs }) => [
    when(needs[0], () => {
      const c = logits!.shape[1]!;
      const valid = sub(1, cast(equal(labels!, node.attrs.ignoreIndex), "float32")); // [N]
      const scaleRows = div(mul(valid, g), maximum(sum(valid), 1)); // [N]
      const diff = sub(softmax(logits!, 1), oneHot(labels!, c));
      return mul(diff, reshape(scaleRows, [-1, 1]));
    }),
    undefined,
  ],
  linearCrossEntropy: ({ node, inputs: [hidden, weight, labels], cotangent: g, needs }) => {
    if (!needs[0] && !needs[1]) return [undefined, undefined, undefined];
    const { ignoreIndex, chunkRows } = node.attrs;
    const vocab = weight!.shape[0]!;
    const valid = validRows(labels!, ignoreIndex);
    const scaleRows = div(mul(valid, g), maximum(sum(valid), 1)); // [N]
    const bounds = chunkBounds(hidden!.shape[0]!, chunkRows);
    const hs = chunkRowsOf(hidden!, bounds);
    const ys = chunkRowsOf(labels!, bounds);
    const ss = chunkRowsOf(scaleRows, bounds);
    const dHidden: Tensor[] = [];
    let dWeight: Tensor | undefined;
    hs.forEach((hc, i) => {
      // The chunk's logits again (not kept from the forward pass), then the crossEntropy rule.
      const logits = matmul(hc, weight!, { transposeB: true });
      const d = mul(sub(softmax(logits, 1), oneHot(ys[i]!, vocab)), asColumn(ss[i]!));
      if (needs[0]) dHidden.push(matmul(d, weight!));
      if (needs[1]) {
        const part = matmul(d, hc, { transposeA: true });
        dWeight = dWeight === undefined ? part : add(dWeight, part);
      }
    });
    return [needs[0] ? concat(dHidden, 0) : undefined, dWeight, undefined];
  },
};

/** Sums over every axis but the last (rank-1 tensors are returned as they are). */
function sumToLastAxis(t: Tensor): Tensor {
  if (t.rank <= 1) return t;
  return sum(
    t,
    t.shape.slice(0, -1).map((_, i) => i),
    false,
  );
}
