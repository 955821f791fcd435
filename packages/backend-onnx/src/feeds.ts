import { type DType, type HostTensor, TunekitError } from "@tunekit/core";
import { checkHostTensor, type DeviceTensor, isDeviceTensor } from "@tunekit/core/ir";

const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;

/** A device tensor's dtype and shape against the graph's declaration. */
function checkDeviceTensor(
  name: string,
  value: DeviceTensor,
  expected: { readonly shape: readonly number[]; readonly dtype: DType },
): void {
  if (value.disposed) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `feed "${name}": the device tensor was disposed; feed a live one or a HostTensor`,
    );
  }
  const same = fmt(value.shape) === fmt(expected.shape);
  if (value.dtype !== expected.dtype || !same) {
    throw new TunekitError(
      value.dtype !== expected.dtype ? "DTYPE_MISMATCH" : "SHAPE_MISMATCH",
      `feed "${name}": expected ${expected.dtype}${fmt(expected.shape)}, received a device tensor ${value.dtype}${fmt(value.shape)}`,
      { details: { name, expected: [...expected.shape], received: [...value.shape] } },
    );
  }
}

/**
 * Validates run-time feeds against the graph: unknown names (listing the known ones),
 * names bound as constants at compile time, missing required values, and each value's
 * shape and dtype (device tensors: shape and dtype, and not disposed).
 *
 * @example
 * ```ts
 * validateFeeds(feeds, declared, required, bound);
 * ```
 */
export function validateFeeds(
  feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
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
    if (isDeviceTensor(value)) checkDeviceTensor(name, value, decl);
    else checkHostTensor("feed", name, value, decl);
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
