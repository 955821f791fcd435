import { TunekitError } from "@tunekit/core";
import { add, trace } from "@tunekit/core/ir";
import * as ort from "onnxruntime-node";
import { lowerGraph } from "./lower.js";

/**
 * An onnxruntime execution provider: a name (`"cpu"`, `"cuda"`, `"webgpu"`) or an object
 * with a `name` and that provider's options (`{ name: "cuda", deviceId: 0 }`), passed through
 * to onnxruntime unchanged.
 *
 * @example
 * ```ts
 * const eps: OnnxExecutionProvider[] = [{ name: "cuda", deviceId: 0 }, "cpu"];
 * ```
 */
export type OnnxExecutionProvider =
  | "cpu"
  | "cuda"
  | "webgpu"
  | ({ readonly name: string } & Record<string, unknown>);

/**
 * What {@link resolveExecutionProviders} decided: the providers sessions will use, in order,
 * and one message for each requested provider that was dropped.
 *
 * @example
 * ```ts
 * const { providers, dropped } = await resolveExecutionProviders(["cuda", "cpu"]);
 * ```
 */
export interface ResolvedExecutionProviders {
  readonly providers: readonly OnnxExecutionProvider[];
  readonly dropped: readonly string[];
}

const nameOf = (ep: OnnxExecutionProvider): string => (typeof ep === "string" ? ep : ep.name);

/** A one-node model (y = x + 1) to try a provider on. */
let probeBytes: Uint8Array | undefined;
function probeModel(): Uint8Array {
  probeBytes ??= lowerGraph(
    trace((g) => {
      const x = g.input("x", "float32", [2]);
      return { y: add(x, 1) };
    }),
  ).bytes;
  return probeBytes;
}

/** Why `ep` cannot run here, or undefined when a session with it alone starts. */
async function unavailable(ep: OnnxExecutionProvider): Promise<string | undefined> {
  const name = nameOf(ep);
  if (name === "cpu") return undefined;
  const listed = ort.listSupportedBackends().find((b) => b.name === name);
  if (!listed) {
    const known = ort
      .listSupportedBackends()
      .map((b) => b.name)
      .join(", ");
    return `this onnxruntime-node build does not know it (it lists: ${known})`;
  }
  try {
    const session = await ort.InferenceSession.create(probeModel(), {
      executionProviders: [ep as ort.InferenceSession.ExecutionProviderConfig],
      logSeverityLevel: 4,
    });
    await session.release();
    return undefined;
  } catch (e) {
    // onnxruntime's message starts with its source location; keep the reason.
    const first = (e as Error).message.split("\n")[0]!;
    const reason = first.replace(/^\S+\.cc:\d+ \S*(?:\([^)]*\))?\S* /, "").slice(0, 300);
    return listed.bundled
      ? `onnxruntime could not start it: ${reason}`
      : `its binaries are not installed (${reason}); onnxruntime-node downloads them when installed with ` +
          "ONNXRUNTIME_NODE_INSTALL=cuda12 (or --onnxruntime-node-install=cuda12), on a machine with the driver and CUDA 12";
  }
}

/**
 * Checks each requested execution provider by starting a one-node session with it alone, and
 * drops those that cannot run on this machine, with one message each saying why. With
 * `fallback: "cpu"` (default) the CPU provider is appended when it is not in the list, so a
 * missing GPU never stops a run; with `fallback: "error"` a missing provider throws
 * `BACKEND_EXECUTION` instead.
 *
 * @example
 * ```ts
 * const { providers, dropped } = await resolveExecutionProviders([{ name: "cuda", deviceId: 0 }]);
 * for (const m of dropped) console.warn(m); // on a CPU-only machine: cuda dropped, falling back to cpu
 * ```
 */
export async function resolveExecutionProviders(
  requested: readonly OnnxExecutionProvider[],
  options: { readonly fallback?: "cpu" | "error" } = {},
): Promise<ResolvedExecutionProviders> {
  const fallback = options.fallback ?? "cpu";
  if (requested.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      'executionProviders is empty; pass at least one provider, e.g. ["cpu"] or [{ name: "cuda" }, "cpu"]',
    );
  }
  const providers: OnnxExecutionProvider[] = [];
  const dropped: string[] = [];
  for (const ep of requested) {
    const name = nameOf(ep);
    if (typeof name !== "string" || name.length === 0) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `executionProviders: each entry must be a provider name or an object with a name, received ${JSON.stringify(ep)}`,
      );
    }
    const why = await unavailable(ep);
    if (why === undefined) providers.push(ep);
    else dropped.push(`execution provider "${name}" is not available: ${why}`);
  }
  if (dropped.length > 0 && fallback === "error") {
    throw new TunekitError(
      "BACKEND_EXECUTION",
      `${dropped.join("; ")}. Install the provider, or drop fallback: "error" to run on the CPU instead`,
    );
  }
  if (!providers.some((ep) => nameOf(ep) === "cpu")) {
    providers.push("cpu");
    if (dropped.length > 0) dropped.push("falling back to the cpu provider");
  }
  return { providers, dropped };
}
