import { TunekitError } from "../errors.js";
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
  /**
   * Outputs to leave on the backend's device (GPU memory) instead of copying them to the host:
   * a backend with {@link Backend.keepsOnDevice} returns them from
   * {@link Executable.runWithDevice} as {@link DeviceTensor}s, to feed to a later run. A
   * backend without it ignores this option.
   */
  readonly keepOnDevice?: readonly string[];
}

/**
 * A value an executable left on its backend's device ({@link CompileOptions.keepOnDevice}): fed
 * to a later {@link Executable.runWithDevice} of the same backend without a host round trip,
 * and copied to the host only when read.
 *
 * @example
 * ```ts
 * const out = await exe.runWithDevice!(feeds);
 * const weight = out["w::new"] as DeviceTensor;
 * const host = await weight.read(); // a HostTensor copy
 * weight.dispose();
 * ```
 */
export interface DeviceTensor {
  readonly kind: "device";
  readonly dtype: HostTensor["dtype"];
  readonly shape: readonly number[];
  /** Where the value lives, as the backend names it (`"gpu-buffer"`). */
  readonly location: string;
  /** Copies the value to the host. */
  read(): Promise<HostTensor>;
  /** Frees the device memory; the tensor cannot be fed or read afterwards. Idempotent. */
  dispose(): void;
  /** Whether {@link DeviceTensor.dispose} was called. */
  readonly disposed: boolean;
}

/**
 * The bookkeeping every backend's {@link DeviceTensor} shares: `read()` refuses a disposed
 * tensor with a typed error, `dispose()` frees once. A backend supplies `download` and `free`.
 *
 * @example
 * ```ts
 * class MyDeviceTensor extends DeviceTensorBase {
 *   protected download() { return copyToHost(this.handle); }
 *   protected free() { this.handle.release(); }
 * }
 * ```
 */
export abstract class DeviceTensorBase implements DeviceTensor {
  readonly kind = "device" as const;
  private released = false;
  abstract readonly dtype: HostTensor["dtype"];
  abstract readonly shape: readonly number[];
  abstract readonly location: string;

  get disposed(): boolean {
    return this.released;
  }

  async read(): Promise<HostTensor> {
    if (this.released) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `read() of a disposed device tensor (${this.dtype}[${this.shape.join(", ")}])`,
      );
    }
    return this.download();
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.free();
  }

  /** Copies the value to the host (called only while not disposed). */
  protected abstract download(): Promise<HostTensor>;
  /** Frees the device memory (called once). */
  protected abstract free(): void;
}

/**
 * Whether a feed or output is a {@link DeviceTensor} (not a {@link HostTensor}).
 *
 * @example
 * ```ts
 * const host = isDeviceTensor(value) ? await value.read() : value;
 * ```
 */
export function isDeviceTensor(value: unknown): value is DeviceTensor {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "device";
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
  /**
   * Present on executables of a backend with {@link Backend.keepsOnDevice}: like `run`, but
   * feeds may be {@link DeviceTensor}s of this backend, and the outputs named in
   * {@link CompileOptions.keepOnDevice} come back as {@link DeviceTensor}s (the caller owns
   * them and disposes them); every other output is a {@link HostTensor}.
   */
  runWithDevice?(
    feeds: Readonly<Record<string, HostTensor | DeviceTensor>>,
  ): Promise<Record<string, HostTensor | DeviceTensor>>;
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
  /**
   * True when the backend runs on a device with its own memory and honours
   * {@link CompileOptions.keepOnDevice} (its executables have `runWithDevice`): training then
   * keeps parameters and optimizer state there between steps.
   */
  readonly keepsOnDevice?: boolean;
  /** Releases everything the backend holds. */
  dispose(): void;
}
