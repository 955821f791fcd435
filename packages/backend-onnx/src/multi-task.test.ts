import { describeMultiTaskTraining } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// Two threads: the mixed-batch gradients (heads' scatter of per-task rows) run on onnxruntime's pool.
describeMultiTaskTraining("ONNX Runtime", () => createOnnxBackend({ intraOpNumThreads: 2 }));
