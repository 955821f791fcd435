export type { OnnxBackend, OnnxBackendOptions } from "./backend.js";
export { createOnnxBackend } from "./backend.js";
export type { OnnxExecutionProvider, ResolvedExecutionProviders } from "./providers.js";
export { resolveExecutionProviders } from "./providers.js";
export type { LoweredModel, ModelIO } from "./lower.js";
export type { LowerOptions } from "./lower-context.js";
export { lowerGraph } from "./lower.js";
export { ONNX_OPSET, OnnxGraphBuilder } from "./onnx-builder.js";
export type {
  OnnxAttribute,
  OnnxDataTypeCode,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from "./onnx-model.js";
export { encodeOnnxModel, OnnxDataType } from "./onnx-model.js";
export type { OnnxProfileSummary, OpTypeTime } from "./profile.js";
export { profileFiles, readOnnxProfile, summarizeOnnxProfile } from "./profile.js";
export { disableOnnxTelemetry, ORT_TELEMETRY_ENV } from "./telemetry.js";
export type { OnnxExport, OnnxExportOptions } from "./export/export-onnx.js";
export type { IndexPattern } from "./export/index-constants.js";
export { checkSingleFileSize, exportOnnx, ONNX_SINGLE_FILE_LIMIT } from "./export/export-onnx.js";
export type { DynamicAxisNames, ExportIO, SymbolicLowering } from "./export/lower-symbolic.js";
export { DEFAULT_AXIS_NAMES, lowerSymbolic } from "./export/lower-symbolic.js";
export type { OnnxInference } from "./export/onnx-inference.js";
export { loadOnnxInference } from "./export/onnx-inference.js";
export type { QuantizeReport } from "./export/quantize-int8.js";
export { quantizeMatMulWeights } from "./export/quantize-int8.js";
export type { ProbeSizes, SymbolicGraph, SymDim } from "./export/symbolic-dims.js";
export { formatDim, probeSizes, solveDim, traceSymbolic } from "./export/symbolic-dims.js";
