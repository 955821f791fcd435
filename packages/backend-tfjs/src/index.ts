export type { TfjsEngine } from "./engine.js";
export { TfjsExecutable } from "./executable.js";
export { FUSED_COMPOSITES, TFJS_KERNELS } from "./kernels.js";
export type { TfjsBackend, TfjsBackendOptions } from "./tfjs-backend.js";
export { createTfjsBackend } from "./tfjs-backend.js";
