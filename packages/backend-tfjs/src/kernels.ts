import type { OpName } from "@tunekit/core/ir";
import type { Kernel } from "./kernel.js";
import { ELEMENTWISE_KERNELS } from "./kernels-elementwise.js";
import { LAYOUT_KERNELS } from "./kernels-layout.js";
import { NN_KERNELS } from "./kernels-nn.js";

/**
 * Leaf ops: their values come from feeds or are uploaded at compile time, not from a kernel
 * (the ops `TFJS_KERNELS` has no entry for).
 *
 * @example
 * ```ts
 * const leaf: LeafOp = "param";
 * ```
 */
export type LeafOp = "input" | "param" | "constant";

/**
 * One TensorFlow.js kernel per non-leaf op of the IR. The mapped type makes a missing op a
 * compile error; `ALL_OPS` coverage is also checked by a test.
 *
 * @example
 * ```ts
 * const kernel = TFJS_KERNELS[node.op as Exclude<OpName, LeafOp>];
 * ```
 */
export const TFJS_KERNELS: { readonly [K in Exclude<OpName, LeafOp>]: Kernel } = {
  ...ELEMENTWISE_KERNELS,
  ...LAYOUT_KERNELS,
  ...NN_KERNELS,
};

/**
 * Composite ops this backend lowers to fused TF.js kernels instead of core's decomposition.
 *
 * @example
 * ```ts
 * FUSED_COMPOSITES.includes("softmax"); // true
 * ```
 */
export const FUSED_COMPOSITES: readonly OpName[] = [
  "softmax",
  "logSoftmax",
  "layerNorm",
  "gelu",
  "attention",
  "crossEntropy",
  "linearCrossEntropy",
];
