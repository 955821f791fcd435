export type { OnnxBackend, OnnxBackendOptions, OnnxExecutionProvider } from "./backend.js";
export { createOnnxBackend } from "./backend.js";
export type { LoweredModel, ModelIO } from "./lower.js";
export { lowerGraph } from "./lower.js";
export { ONNX_OPSET } from "./onnx-builder.js";
export type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from "./onnx-model.js";
export { encodeOnnxModel, OnnxDataType } from "./onnx-model.js";
export type { OnnxProfileSummary, OpTypeTime } from "./profile.js";
export { profileFiles, readOnnxProfile, summarizeOnnxProfile } from "./profile.js";
