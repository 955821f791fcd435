import { join } from "node:path";
import { describeFixtureTrainingAgreement, findRepoRoot } from "@tunekit/core/testing";
import { createOnnxBackend } from "./backend.js";

// Issue 5 item 4: 100 AdamW steps of the parity fixture on onnx-cpu match the float64
// reference to 5e-5 relative per step; backend-tfjs checks the same, so the two agree to 1e-4.
describeFixtureTrainingAgreement("onnx-cpu", () => createOnnxBackend());
// The same for a decoder: the committed Qwen2 fixture (GQA, q/k/v biases, tied embeddings).
describeFixtureTrainingAgreement(
  "onnx-cpu",
  () => createOnnxBackend(),
  50,
  join(findRepoRoot()!, "fixtures/parity/qwen2-2l-h24-kv2-tied-b3-seq11"),
);
