import { createOnnxBackend } from "@tunekit/backend-onnx";
import { createTfjsBackend } from "@tunekit/backend-tfjs";
import type { Backend } from "@tunekit/core";
import type { BackendSpec } from "../config/train-config.js";

/**
 * Creates the backend a config names (`onnx` by default: the faster one on CPU).
 * `log` receives the backends' one-line notices (e.g. which TensorFlow.js engine runs).
 *
 * @example
 * ```ts
 * const backend = await createBackend({ name: "tfjs", engine: "wasm" }, (line) => console.error(line));
 * ```
 */
export async function createBackend(spec: BackendSpec, log: (line: string) => void): Promise<Backend> {
  if (spec.name === "tfjs") {
    return createTfjsBackend({ engine: spec.engine ?? "auto", log });
  }
  return createOnnxBackend({
    ...(spec.threads === undefined ? {} : { intraOpNumThreads: spec.threads }),
    ...(spec.providers === undefined ? {} : { executionProviders: spec.providers }),
  });
}

/**
 * A short description of a backend spec for logs and `--json` output.
 *
 * @example
 * ```ts
 * describeBackend({ name: "onnx" }); // "onnx"
 * ```
 */
export function describeBackend(spec: BackendSpec): string {
  if (spec.name === "tfjs") return `tfjs (${spec.engine ?? "auto"})`;
  return spec.providers === undefined ? "onnx" : `onnx (${spec.providers.join(", ")})`;
}
