export {
  attention,
  crossEntropy,
  decomposeComposite,
  dropout,
  gelu,
  layerNorm,
  logSoftmax,
  softmax,
} from "./composites.js";
export type { Node, ParameterLike } from "./graph.js";
export type { LinearCrossEntropyOptions } from "./linear-cross-entropy.js";
export { chunkBounds, defaultChunkRows, linearCrossEntropy } from "./linear-cross-entropy.js";
export { Graph, Tensor, trace } from "./graph.js";
export type { OpAttrs, OpName } from "./op-attrs.js";
export {
  ALL_OPS,
  ARITHMETIC_OPS,
  COMPARISON_OPS,
  COMPOSITE_OPS,
  REDUCTION_OPS,
  UNARY_OPS,
} from "./op-attrs.js";
export type { TensorOrScalar } from "./ops.js";
export {
  abs,
  add,
  broadcastTo,
  cast,
  concat,
  constant,
  div,
  dropoutMask,
  equal,
  erf,
  exp,
  full,
  gather,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  oneHot,
  pad,
  pow,
  reshape,
  scatterAdd,
  sign,
  slice,
  sqrt,
  sub,
  sum,
  tanh,
  transpose,
  where,
} from "./ops.js";
export { expandComposites } from "./rewrite.js";
export type { ShapeDType } from "./shape-inference.js";
export { broadcastShapes, inferShape, normalizeAxis } from "./shape-inference.js";
