export type { Backend, CompileOptions, Executable } from "./backend.js";
export { createReferenceBackend, evaluateGraphFloat64 } from "./reference-backend.js";
export type { Float64Tensor } from "./reference-tensor.js";
