/**
 * `@tunekit/core/ir`: the graph IR and the backend contract.
 *
 * `Graph`, `Tensor` and `trace`; every op (`add`, `matmul`, `softmax`, `crossEntropy`, ...) with shape
 * inference, broadcasting and the composite ops backends may decompose; host tensors (`hostTensor`,
 * `HostTensor`, `DType`); the `Backend` / `Executable` contract that backends implement and the float64
 * reference backend (`createReferenceBackend`, `evaluateGraphFloat64`) they are tested against.
 *
 * @example
 * ```ts
 * import { mean, mul, softmax, trace } from "@tunekit/core/ir";
 *
 * const graph = trace((g) => {
 *   const x = g.input("x", "float32", [2, 3]);
 *   return { y: mean(mul(softmax(x), x)) };
 * });
 * ```
 *
 * @packageDocumentation
 */

export type { Backend, CompileOptions, DeviceTensor, Executable, Float64Tensor } from "../backend/index.js";
export {
  checkHostTensor,
  createReferenceBackend,
  DeviceTensorBase,
  evaluateGraphFloat64,
  isDeviceTensor,
} from "../backend/index.js";
export type {
  LinearCrossEntropyOptions,
  Node,
  OpAttrs,
  OpName,
  ParameterLike,
  ShapeDType,
  TensorOrScalar,
} from "../ir/index.js";
export {
  abs,
  add,
  ALL_OPS,
  attention,
  broadcastShapes,
  broadcastTo,
  cast,
  chunkBounds,
  COMPOSITE_OPS,
  concat,
  constant,
  crossEntropy,
  decomposeComposite,
  defaultChunkRows,
  div,
  dropout,
  dropoutMask,
  equal,
  erf,
  exp,
  expandComposites,
  full,
  gather,
  gelu,
  Graph,
  greater,
  greaterEqual,
  inferShape,
  layerNorm,
  less,
  lessEqual,
  linearCrossEntropy,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  normalizeAxis,
  oneHot,
  pad,
  pow,
  reshape,
  scatterAdd,
  sign,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  tanh,
  Tensor,
  trace,
  transpose,
  where,
} from "../ir/index.js";
export type { DType, HostTensor, TypedArrayFor } from "../tensor/host-tensor.js";
export { allocFor, hostTensor, sizeOf } from "../tensor/host-tensor.js";
