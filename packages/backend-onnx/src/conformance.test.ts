import { describeBackendConformance } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// The shared suite: every IR op (forward, edge cases, fused vs decomposed composites, dropout
// statistics and seeding) and every VJP, against core's float64 reference backend.
describeBackendConformance("onnx-cpu", () => createOnnxBackend({ intraOpNumThreads: 1 }));
