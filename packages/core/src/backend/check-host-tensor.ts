import { TunekitError } from "../errors.js";
import { type DType, type HostTensor, sizeOf } from "../tensor/host-tensor.js";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

const ARRAY_FOR: Record<DType, string> = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };

/**
 * Checks that a host tensor fed or bound under `name` matches the graph's declaration and is
 * internally consistent; throws `DTYPE_MISMATCH` / `SHAPE_MISMATCH` / `INVALID_ARGUMENT`
 * naming the value, what was expected and what was received. Backends call it on every feed
 * and compile-time constant, so they all reject bad inputs with the same words.
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
        "shapes are static per compiled graph (trace and compile again for another shape)",
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
