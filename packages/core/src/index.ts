export type { TunekitErrorCode } from "./errors.js";
export { isTunekitError, TunekitError } from "./errors.js";
export type { DType, HostTensor, TypedArrayFor } from "./tensor/host-tensor.js";
export { allocFor, hostTensor, sizeOf } from "./tensor/host-tensor.js";
