/**
 * `@tunekit/core/autodiff`: reverse-mode automatic differentiation on the graph IR.
 *
 * `grad` and `valueAndGrad` (graph-to-graph gradients), the vector-Jacobian product rule of every op
 * (`VJP_RULES`), the ops that have no gradient, and `checkGradients`, a finite-difference check for
 * new rules and models.
 *
 * @example
 * ```ts
 * import { grad } from "@tunekit/core/autodiff";
 * import { mean, mul, trace } from "@tunekit/core/ir";
 *
 * const graph = trace((g) => {
 *   const w = g.input("w", "float32", [3]);
 *   const [dw] = grad(mean(mul(w, w)), [w]);
 *   return { dw: dw! };
 * });
 * ```
 *
 * @packageDocumentation
 */

export type {
  GradCheckInput,
  GradCheckResult,
  VjpContext,
  VjpRule,
  VjpRuleTable,
} from "../autodiff/index.js";
export {
  checkGradients,
  grad,
  isDifferentiableInput,
  isNonDifferentiableOp,
  keptShape,
  NON_DIFFERENTIABLE_OPS,
  unbroadcast,
  valueAndGrad,
  VJP_RULES,
} from "../autodiff/index.js";
