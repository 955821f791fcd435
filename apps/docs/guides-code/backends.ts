// The same training code on each backend: only the Backend object changes.
import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import { type Backend, createReferenceBackend } from "@tunekit/core";

// #region swap
export async function pickBackend(name: "onnx" | "tfjs" | "reference"): Promise<Backend> {
  switch (name) {
    case "onnx":
      return createOnnxBackend({ intraOpNumThreads: 2 }); // lowers each training step to one ONNX model
    case "tfjs":
      return createTfjsBackend({ engine: "wasm" }); // or "tensorflow" with tfjs-node installed, or "cpu"
    case "reference":
      return createReferenceBackend(); // float32 interpreter for tests: slow, exact
  }
}
// #endregion swap
