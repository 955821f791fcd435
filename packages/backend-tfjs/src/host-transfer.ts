import { type DType, type HostTensor, sizeOf, TunekitError } from "@tunekit/core";
import type { Tf, TfjsEngine, TfTensor } from "./engine.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

const ARRAY_FOR: Record<DType, string> = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };

/**
 * Checks that a host tensor fed or bound under `name` matches the graph's declaration and is
 * internally consistent; throws a `SHAPE_MISMATCH` / `DTYPE_MISMATCH` {@link TunekitError}
 * naming the value, what was expected and what was received.
 *
 * @example
 * ```ts
 * checkHostTensor("feed", "input_ids", feeds.input_ids, { shape: [2, 8], dtype: "int32" });
 * ```
 */
export function checkHostTensor(
  kind: "feed" | "constant",
  name: string,
  value: HostTensor,
  expected: { readonly shape: readonly number[]; readonly dtype: DType },
): void {
  if (value === null || typeof value !== "object" || !Array.isArray(value.shape)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${kind} "${name}": expected a HostTensor ({ dtype, shape, data }), received ${String(value)}`,
    );
  }
  if (value.dtype !== expected.dtype) {
    throw new TunekitError(
      "DTYPE_MISMATCH",
      `${kind} "${name}": expected dtype ${expected.dtype}, received ${value.dtype}; ` +
        `convert it before feeding (the graph declares ${expected.dtype}${fmt(expected.shape)})`,
      { details: { name, expected: expected.dtype, received: value.dtype } },
    );
  }
  const same =
    value.shape.length === expected.shape.length && value.shape.every((d, i) => d === expected.shape[i]);
  if (!same) {
    throw new TunekitError(
      "SHAPE_MISMATCH",
      `${kind} "${name}": expected shape ${fmt(expected.shape)}, received ${fmt(value.shape)}; ` +
        "shapes are static per compiled graph (retrace for another shape)",
      { details: { name, expected: [...expected.shape], received: [...value.shape] } },
    );
  }
  const arrayName = ARRAY_FOR[value.dtype];
  if (value.data?.constructor?.name !== arrayName || value.data.length !== sizeOf(value.shape)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${kind} "${name}": ${value.dtype}${fmt(value.shape)} needs a ${arrayName} of ` +
        `${sizeOf(value.shape)} elements, received a ${value.data?.constructor?.name} of ${value.data?.length}`,
    );
  }
}

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
