import type { DType } from "@tunekit/core";
import type { Node } from "@tunekit/core/ir";
import type { Tf, TfTensor } from "./engine.js";

/**
 * Lowers one IR node to TensorFlow.js ops. Runs inside `tf.tidy`, so temporaries are freed
 * automatically; it must not dispose its inputs and must return a tensor of the node's shape
 * and dtype.
 *
 * @example
 * ```ts
 * const addKernel: Kernel = (tf, _node, [a, b]) => tf.add(a!, b!);
 * ```
 */
export type Kernel = (tf: Tf, node: Node, inputs: readonly TfTensor[]) => TfTensor;

/**
 * A scalar of `dtype` holding `value` (TensorFlow.js would otherwise make JS numbers
 * float32 and silently upcast int32 operands).
 *
 * @example
 * ```ts
 * tf.add(ids, scalarOf(tf, 1, "int32"));
 * ```
 */
export function scalarOf(tf: Tf, value: number, dtype: DType): TfTensor {
  return tf.scalar(value, dtype);
}

/**
 * float32 one-hot rows of `indices` (out-of-range -> a zero row). Built as an int32 one-hot
 * then cast: the wasm `OneHot` kernel writes int32 bit patterns into a float32 output (1
 * reads back as 1.4e-45), so `tf.oneHot(..., "float32")` is wrong there.
 *
 * @example
 * ```ts
 * const rows = oneHotFloat(tf, labels, 3);
 * ```
 */
export function oneHotFloat(tf: Tf, indices: TfTensor, depth: number): TfTensor {
  // tf.oneHot refuses depth 1 ("depth must be >=2"): there, one-hot is `index == 0`
  if (depth === 1) return tf.cast(tf.expandDims(tf.equal(indices, 0), -1), "float32");
  return tf.cast(tf.oneHot(indices, depth, 1, 0, "int32"), "float32");
}
