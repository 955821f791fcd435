import { type DType, type HostTensor, TunekitError } from "@tunekit/core";
import { checkHostTensor } from "@tunekit/core/ir";

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
