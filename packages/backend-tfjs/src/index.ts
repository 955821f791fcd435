export type { ActiveEngine, Tf, TfjsEngine, TfTensor } from "./engine.js";
export { TfjsExecutable } from "./executable.js";
export type { Kernel } from "./kernel.js";
export type { LeafOp } from "./kernels.js";
export { FUSED_COMPOSITES, TFJS_KERNELS } from "./kernels.js";
export type { TfjsBackend, TfjsBackendOptions } from "./tfjs-backend.js";
export { createTfjsBackend } from "./tfjs-backend.js";
