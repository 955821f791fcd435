import { committedParityFixtureFolders, describeParity } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// PyTorch parity on onnx-cpu for the committed fixtures of other shapes (fixtures/parity).
describeParity("onnx-cpu", () => createOnnxBackend(), committedParityFixtureFolders());
