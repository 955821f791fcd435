import { describeFixtureTrainingAgreement } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// Issue 5 item 4: 100 AdamW steps of the parity fixture on onnx-cpu match the float64
// reference to 5e-5 relative per step; backend-tfjs checks the same, so the two agree to 1e-4.
describeFixtureTrainingAgreement("onnx-cpu", () => createOnnxBackend());
