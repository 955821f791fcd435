import { type HostTensor, hostTensor, TunekitError } from "@tunekit/core";
import * as ort from "onnxruntime-node";
import { disableOnnxTelemetry } from "../telemetry.js";

/**
 * An exported model loaded in onnxruntime for inference: `run` takes int32 or float32 host
 * tensors by input name (int32 ids are fed as the model's int64) and returns the float32
 * outputs by name. Call `dispose` when done.
 *
 * @example
 * ```ts
 * const m = await loadOnnxInference(bytes);
 * const { logits } = await m.run({ input_ids, attention_mask, token_type_ids });
 * await m.dispose();
 * ```
 */
export interface OnnxInference {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}

/**
 * Loads ONNX model bytes (such as {@link exportOnnx}'s) into an onnxruntime CPU session.
 * Feeds the model does not take are ignored (a model without `token_type_ids`); a missing
 * one is an `INVALID_ARGUMENT` error naming it.
 *
 * @example
 * ```ts
 * const m = await loadOnnxInference(await readFile("out/onnx/model.onnx"), { threads: 1 });
 * ```
 */
export async function loadOnnxInference(
  bytes: Uint8Array,
  options: { readonly threads?: number } = {},
): Promise<OnnxInference> {
  disableOnnxTelemetry();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
      graphOptimizationLevel: "all",
    });
  } catch (e) {
    throw new TunekitError(
      "BACKEND_EXECUTION",
      `onnxruntime cannot load the exported model: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const inputNames = [...session.inputNames];
  const outputNames = [...session.outputNames];
  return {
    inputNames,
    outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const name of inputNames) {
        const t = feeds[name];
        if (t === undefined) {
          throw new TunekitError(
            "INVALID_ARGUMENT",
            `the exported model needs input "${name}"; got ${Object.keys(feeds).join(", ") || "none"}`,
          );
        }
        ortFeeds[name] =
          t.dtype === "int32"
            ? new ort.Tensor(
                "int64",
                BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)),
                [...t.shape],
              )
            : new ort.Tensor(t.dtype === "bool" ? "bool" : "float32", t.data, [...t.shape]);
      }
      const out = await session.run(ortFeeds);
      const result: Record<string, HostTensor> = {};
      for (const name of outputNames) {
        const v = out[name]!;
        const data =
          v.type === "float32" ? (v.data as Float32Array) : Float32Array.from(v.data as ArrayLike<number>);
        result[name] = hostTensor("float32", [...v.dims], data);
      }
      return result;
    },
    async dispose() {
      await session.release();
    },
  };
}
