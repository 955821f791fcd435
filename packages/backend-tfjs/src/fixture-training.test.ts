import { describeFixtureTrainingAgreement } from "@tunekit/core/testing";
import { createTfjsBackend } from "./tfjs-backend.js";

// Issue 5 item 4: 100 AdamW steps of the parity fixture on tfjs-wasm match the float64
// reference to 5e-5 relative per step; backend-onnx checks the same, so the two agree to 1e-4.
describeFixtureTrainingAgreement("tfjs-wasm", () => createTfjsBackend({ engine: "wasm", log: () => {} }));
