export type { Backend, CompileOptions, DeviceTensor, Executable } from "./backend.js";
export { DeviceTensorBase, isDeviceTensor } from "./backend.js";
export { checkHostTensor } from "./check-host-tensor.js";
export { createReferenceBackend, evaluateGraphFloat64 } from "./reference-backend.js";
export type { Float64Tensor } from "./reference-tensor.js";
