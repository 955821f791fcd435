import { describeTrainerResume } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// The Trainer's bit-exact resume on ONNX Runtime (shared test in core/testing).
describeTrainerResume("ONNX Runtime", () => createOnnxBackend());
