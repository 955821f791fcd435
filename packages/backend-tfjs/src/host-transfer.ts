import type { DType, HostTensor } from "@tunekit/core";
import type { Tf, TfjsEngine, TfTensor } from "./engine.js";

/**
 * Uploads a host tensor. The cpu engine keeps the typed array it is given without copying, so
 * values that outlive the call (resident constants) are copied there to stay immune to later
 * in-place changes of the caller's array.
 *
 * @example
 * ```ts
 * const t = uploadHostTensor(tf, "wasm", weights, true);
 * ```
 */
export function uploadHostTensor(tf: Tf, engine: TfjsEngine, value: HostTensor, resident: boolean): TfTensor {
  const data = resident && engine === "cpu" ? value.data.slice() : value.data;
  return tf.tensor(data, [...value.shape], value.dtype);
}

/**
 * Reads a tensor back into a {@link HostTensor} of `dtype` whose typed array is never shared
 * with the engine (wasm and tfjs-node already return a copy; cpu returns its own storage,
 * which is copied).
 *
 * @example
 * ```ts
 * const host = await downloadTensor(t, "float32", "wasm");
 * ```
 */
export async function downloadTensor(t: TfTensor, dtype: DType, engine: TfjsEngine): Promise<HostTensor> {
  const raw = await t.data();
  const own = <A extends Float32Array | Int32Array>(a: A): A => (engine === "cpu" ? (a.slice() as A) : a);
  let data: Float32Array | Int32Array | Uint8Array;
  if (dtype === "float32") data = raw instanceof Float32Array ? own(raw) : Float32Array.from(raw);
  else if (dtype === "int32") data = raw instanceof Int32Array ? own(raw) : Int32Array.from(raw);
  else data = Uint8Array.from(raw as ArrayLike<number>, (v) => (v ? 1 : 0));
  return { dtype, shape: [...t.shape], data } as HostTensor;
}
