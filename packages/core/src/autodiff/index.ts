export { grad, valueAndGrad } from "./grad.js";
export {
  isDifferentiableInput,
  isNonDifferentiableOp,
  NON_DIFFERENTIABLE_OPS,
} from "./non-differentiable.js";
export type { VjpContext, VjpRule, VjpRuleTable } from "./vjp-rule.js";
export { keptShape, unbroadcast } from "./vjp-rule.js";
export { VJP_RULES } from "./vjp-rules.js";
export type { GradCheckInput, GradCheckResult } from "./finite-difference.js";
export { checkGradients } from "./finite-difference.js";
