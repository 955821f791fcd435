/**
 * Environment variable that turns off onnxruntime's telemetry. Without it the Linux build of
 * onnxruntime-node (1.30) starts Microsoft's 1DS telemetry client with the first session: it
 * leaves a `mat-debug-<pid>.log` file in the temporary folder for every process and keeps a
 * device id and an event database under `~/.cache/Microsoft/DeveloperTools/.onnxruntime`.
 * No session option turns it off; this variable does (read when the runtime's environment
 * is created, i.e. at the first session).
 *
 * @example
 * ```ts
 * process.env[ORT_TELEMETRY_ENV]; // "1" once @tunekit/backend-onnx is loaded, unless set before
 * ```
 */
export const ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY";

/**
 * Sets {@link ORT_TELEMETRY_ENV} to `1` unless the user set it (to `0`, to keep telemetry on).
 * Called when this package loads, before any session exists.
 *
 * @example
 * ```ts
 * disableOnnxTelemetry();
 * ```
 */
export function disableOnnxTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  env[ORT_TELEMETRY_ENV] ??= "1";
}
