import { type DType, type HostTensor, sizeOf, TunekitError } from "@tunekit/core";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

const ARRAY_FOR: Record<DType, string> = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" };

/**
 * Checks that a host tensor fed or bound under `name` matches the graph's declaration and is
 * internally consistent; throws `DTYPE_MISMATCH` / `SHAPE_MISMATCH` / `INVALID_ARGUMENT`
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

/**
 * Validates run-time feeds against the graph: unknown names (listing the known ones),
 * names bound as constants at compile time, missing required values, and each value's
 * shape and dtype.
 *
 * @example
 * ```ts
 * validateFeeds(feeds, declared, required, bound);
 * ```
 */
export function validateFeeds(
  feeds: Readonly<Record<string, HostTensor>>,
  declared: ReadonlyMap<string, { readonly shape: readonly number[]; readonly dtype: DType }>,
  required: readonly string[],
  bound: ReadonlySet<string>,
): void {
  if (feeds === null || typeof feeds !== "object") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `feeds must be an object of HostTensors, received ${String(feeds)}`,
    );
  }
  for (const [name, value] of Object.entries(feeds)) {
    const decl = declared.get(name);
    if (!decl) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `feed "${name}" is not an input or parameter of the graph; known names: ${[...declared.keys()].join(", ") || "(none)"}`,
      );
    }
    if (bound.has(name)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `feed "${name}" was bound as a constant at compile time; drop it from the feeds or compile without it`,
      );
    }
    checkHostTensor("feed", name, value, decl);
  }
  const missing = required.filter((n) => feeds[n] === undefined);
  if (missing.length > 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `missing feeds: ${missing.join(", ")}; every input and unbound parameter that the outputs need must be fed ` +
        "(or bound in CompileOptions.constants)",
      { details: { missing } },
    );
  }
}
