import {
  div,
  exp,
  greater,
  greaterEqual,
  lessEqual,
  log,
  mul,
  neg,
  pow,
  sign,
  sub,
  where,
} from "../ir/ops.js";
import { unbroadcast, type VjpRuleTable, when } from "./vjp-rule.js";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * VJP rules of the elementwise ops: broadcasting binary arithmetic, unary float ops and
 * `where`. Binary rules reduce each cotangent back to its input's shape with
 * {@link unbroadcast}. `maximum`/`minimum` send the gradient to `a` on ties; `pow`'s
 * gradient with respect to the exponent is taken as 0 where the base is not positive.
 *
 * @example
 * ```ts
 * const [da, db] = ELEMENTWISE_VJP_RULES.mul!({ node, inputs, output, cotangent, needs });
 * ```
 */
export const ELEMENTWISE_VJP_RULES: VjpRuleTable = {
  add: ({ inputs: [a, b], cotangent: g, needs }) => [
    when(needs[0], () => unbroadcast(g, a!.shape)),
    when(needs[1], () => unbroadcast(g, b!.shape)),
  ],
  sub: ({ inputs: [a, b], cotangent: g, needs }) => [
    when(needs[0], () => unbroadcast(g, a!.shape)),
    when(needs[1], () => neg(unbroadcast(g, b!.shape))),
  ],
  mul: ({ inputs: [a, b], cotangent: g, needs }) => [
    when(needs[0], () => unbroadcast(mul(g, b!), a!.shape)),
    when(needs[1], () => unbroadcast(mul(g, a!), b!.shape)),
  ],
  div: ({ inputs: [a, b], output: y, cotangent: g, needs }) => [
    when(needs[0], () => unbroadcast(div(g, b!), a!.shape)),
    // d(a/b)/db = -a/b² = -y/b
    when(needs[1], () => unbroadcast(neg(div(mul(g, y), b!)), b!.shape)),
  ],
  pow: ({ inputs: [a, b], output: y, cotangent: g, needs }) => [
    // d(a^b)/da = b·a^(b-1) (exact also at a = 0 for b >= 1, unlike b·y/a)
    when(needs[0], () => unbroadcast(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape)),
    // d(a^b)/db = y·ln(a), defined as 0 where a <= 0
    when(needs[1], () => {
      const positive = greater(a!, 0);
      const safeLog = log(where(positive, a!, 1));
      return unbroadcast(mul(g, where(positive, mul(y, safeLog), 0)), b!.shape);
    }),
  ],
  maximum: ({ inputs: [a, b], cotangent: g, needs }) => {
    const toA = needs[0] || needs[1] ? greaterEqual(a!, b!) : undefined;
    return [
      when(needs[0], () => unbroadcast(where(toA!, g, 0), a!.shape)),
      when(needs[1], () => unbroadcast(where(toA!, 0, g), b!.shape)),
    ];
  },
  minimum: ({ inputs: [a, b], cotangent: g, needs }) => {
    const toA = needs[0] || needs[1] ? lessEqual(a!, b!) : undefined;
    return [
      when(needs[0], () => unbroadcast(where(toA!, g, 0), a!.shape)),
      when(needs[1], () => unbroadcast(where(toA!, 0, g), b!.shape)),
    ];
  },
  neg: ({ cotangent: g, needs }) => [when(needs[0], () => neg(g))],
  exp: ({ output: y, cotangent: g, needs }) => [when(needs[0], () => mul(g, y))],
  log: ({ inputs: [x], cotangent: g, needs }) => [when(needs[0], () => div(g, x!))],
  // d sqrt(x) = 1 / (2 sqrt(x))
  sqrt: ({ output: y, cotangent: g, needs }) => [when(needs[0], () => div(mul(g, 0.5), y))],
  // d tanh(x) = 1 - tanh(x)²
  tanh: ({ output: y, cotangent: g, needs }) => [when(needs[0], () => mul(g, sub(1, mul(y, y))))],
  // d erf(x) = 2/√π · e^{-x²}
  erf: ({ inputs: [x], cotangent: g, needs }) => [
    when(needs[0], () => mul(g, mul(exp(neg(mul(x!, x!))), TWO_OVER_SQRT_PI))),
  ],
  // d|x| = sign(x) (0 at x = 0)
  abs: ({ inputs: [x], cotangent: g, needs }) => [when(needs[0], () => mul(g, sign(x!)))],
  where: ({ inputs: [cond, a, b], cotangent: g, needs }) => [
    undefined,
    when(needs[1], () => unbroadcast(where(cond!, g, 0), a!.shape)),
    when(needs[2], () => unbroadcast(where(cond!, 0, g), b!.shape)),
  ],
};
