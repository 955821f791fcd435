import { COMPOSITE_VJP_RULES } from "./rules-composite.js";
import { ELEMENTWISE_VJP_RULES } from "./rules-elementwise.js";
import { LAYOUT_VJP_RULES } from "./rules-layout.js";
import { matmulVjp } from "./rules-matmul.js";
import type { VjpRuleTable } from "./vjp-rule.js";

/**
 * The registry of VJP rules: one per differentiable op of the IR, primitives and
 * composites alike (composites have their own efficient rules). Ops in
 * `NON_DIFFERENTIABLE_OPS` have none.
 *
 * @example
 * ```ts
 * const rule = VJP_RULES.softmax; // VjpRule<"softmax">
 * ```
 */
export const VJP_RULES: VjpRuleTable = {
  ...ELEMENTWISE_VJP_RULES,
  ...LAYOUT_VJP_RULES,
  matmul: matmulVjp,
  ...COMPOSITE_VJP_RULES,
};
