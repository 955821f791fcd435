import { describeGenerationParity } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

describeGenerationParity("ONNX Runtime", () => createOnnxBackend());
