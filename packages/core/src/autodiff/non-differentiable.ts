import { COMPARISON_OPS, type OpName } from "../ir/op-attrs.js";

/**
 * Ops through which no gradient flows, so they have no VJP rule: leaves (`input`, `param`,
 * `constant`, `fill`), random masks (`dropoutMask`), comparisons (bool results), `sign`
 * (derivative 0 wherever it exists), `cast` (float32 is the only float dtype, so every cast
 * goes to or from int32/bool) and `oneHot` (int32 indices in).
 *
 * @example
 * ```ts
 * NON_DIFFERENTIABLE_OPS.includes("oneHot"); // true
 * ```
 */
export const NON_DIFFERENTIABLE_OPS: readonly OpName[] = [
  "input",
  "param",
  "constant",
  "fill",
  "dropoutMask",
  ...COMPARISON_OPS,
  "sign",
  "cast",
  "oneHot",
];

const NON_DIFFERENTIABLE = new Set<OpName>(NON_DIFFERENTIABLE_OPS);

/** Inputs that never receive a gradient although the op itself is differentiable. */
const INTEGER_OR_MASK_INPUTS: { readonly [K in OpName]?: readonly number[] } = {
  where: [0], // bool condition
  gather: [1], // int32 indices
  scatterAdd: [0], // int32 indices
  crossEntropy: [1], // int32 labels
  linearCrossEntropy: [2], // int32 labels
};

/**
 * Whether `op` is in {@link NON_DIFFERENTIABLE_OPS}.
 *
 * @example
 * ```ts
 * isNonDifferentiableOp("equal"); // true
 * ```
 */
export function isNonDifferentiableOp(op: OpName): boolean {
  return NON_DIFFERENTIABLE.has(op);
}

/**
 * Whether input `index` of `op` can receive a gradient: false for every input of a
 * non-differentiable op and for int/bool inputs such as gather indices, crossEntropy
 * labels and the `where` condition.
 *
 * @example
 * ```ts
 * isDifferentiableInput("gather", 0); // true  (params)
 * isDifferentiableInput("gather", 1); // false (indices)
 * ```
 */
export function isDifferentiableInput(op: OpName, index: number): boolean {
  if (NON_DIFFERENTIABLE.has(op)) return false;
  return !(INTEGER_OR_MASK_INPUTS[op]?.includes(index) ?? false);
}
