import type { Graph } from "../ir/graph.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * Options for {@link Backend.compile}.
 *
 * @example
 * ```ts
 * const exe = await backend.compile(graph, { constants: frozenWeights });
 * ```
 */
export interface CompileOptions {
  /**
   * Values bound once at compile time, by input or parameter name: frozen weights. A backend
   * may keep them resident (TF.js) or embed them as initializers (ONNX). Names not bound here
   * must be fed to every {@link Executable.run}.
   */
  readonly constants?: Readonly<Record<string, HostTensor>>;
  /** Outputs to compute (default: every output of the graph). */
  readonly outputs?: readonly string[];
}

/**
 * A compiled graph. `run` takes every input and unbound parameter by name and returns
 * the requested outputs as host tensors. Feeds for inputs that the outputs do not need
 * are ignored; unknown names and wrong shapes or dtypes are errors.
 *
 * @example
 * ```ts
 * const { loss } = await exe.run({ input_ids, attention_mask, labels });
 * ```
 */
export interface Executable {
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
  /** Releases the backend resources held by this executable (sessions, resident tensors). */
  dispose(): void;
}

/**
 * An execution engine for the graph IR. Backends only execute: shapes, gradients and
 * optimizer updates are all in the graph they receive.
 *
 * @example
 * ```ts
 * const backend = await createTfjsBackend();
 * const exe = await backend.compile(graph);
 * ```
 */
export interface Backend {
  /** Short identifier, e.g. `"tfjs-wasm"`, `"onnx-cpu"`, `"reference"`. */
  readonly name: string;
  compile(graph: Graph, options?: CompileOptions): Promise<Executable>;
  /** Releases everything the backend holds. */
  dispose(): void;
}
