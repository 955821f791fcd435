import { describeParity } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// PyTorch parity (issue 2 item 9, issue 5 item 4) on onnxruntime-node's CPU provider.
describeParity("onnx-cpu", () => createOnnxBackend());
