import type { Backend } from "@tunekit/core";
import type { CompileOptions, Executable, Graph } from "@tunekit/core/ir";
import { TunekitError } from "@tunekit/core";
import { type ActiveEngine, ensureActive, initEngine, type TfjsEngine } from "./engine.js";
import { TfjsExecutable } from "./executable.js";

/**
 * Options of {@link createTfjsBackend}.
 *
 * @example
 * ```ts
 * const options: TfjsBackendOptions = { engine: "wasm", log: () => {} };
 * ```
 */
export interface TfjsBackendOptions {
  /**
   * Engine to run on (default `auto`: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`
   * when installed, else wasm, else cpu).
   */
  readonly engine?: TfjsEngine | "auto";
  /** Receives one line saying which engine was picked and why (default: `console.info`, once per message). */
  readonly log?: (message: string) => void;
  /**
   * Keep values in the engine's memory between runs (default false): the backend then has
   * `keepsOnDevice`, so `TrainStepRunner` and the `Trainer` keep parameters and optimizer state
   * there as `tf.Tensor`s between steps instead of downloading and uploading them every step
   * (on `@tensorflow/tfjs-node-gpu` that keeps them on the GPU). Parameter values on the host
   * are then brought up to date by `runner.syncToHost()` (the `Trainer` does it before
   * checkpoints and at the end of `fit`).
   */
  readonly keepOnDevice?: boolean;
}

/**
 * A {@link Backend} on TensorFlow.js, with the engine it runs on.
 *
 * @example
 * ```ts
 * const backend = await createTfjsBackend();
 * backend.engine; // "wasm" when tfjs-node is not installed
 * ```
 */
export interface TfjsBackend extends Backend {
  readonly engine: TfjsEngine;
}

const logged = new Set<string>();
function logOnce(message: string): void {
  if (logged.has(message)) return;
  logged.add(message);
  console.info(message);
}

class TfjsBackendImpl implements TfjsBackend {
  readonly name: string;
  readonly engine: TfjsEngine;
  readonly keepsOnDevice: boolean;
  private readonly live = new Set<TfjsExecutable>();
  private disposed = false;

  constructor(
    private readonly active: ActiveEngine,
    keepOnDevice: boolean,
  ) {
    this.engine = active.engine;
    this.name = `tfjs-${active.engine}`;
    this.keepsOnDevice = keepOnDevice;
  }

  async compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
    if (this.disposed) {
      throw new TunekitError("INVALID_ARGUMENT", `${this.name}: compile() called on a disposed backend`);
    }
    await ensureActive(this.active);
    const exe = new TfjsExecutable(
      this.active,
      this.name,
      graph,
      options,
      (e) => this.live.delete(e),
      this.keepsOnDevice ? this : undefined,
    );
    this.live.add(exe);
    return exe;
  }

  dispose(): void {
    this.disposed = true;
    for (const exe of [...this.live]) exe.dispose();
  }
}

/**
 * Creates a backend that executes tunekit graphs with TensorFlow.js. Composite ops run as
 * fused TF.js kernels (softmax, logSoftmax, layerNorm via moments, gelu via erf, attention via
 * matMul + softmax, crossEntropy); constants stay resident until the executable is disposed;
 * every intermediate is freed right after its last use.
 *
 * The TensorFlow.js engine is process-global: a backend re-activates its engine before each
 * compile and run, so backends on different engines can coexist (at the cost of moving
 * resident tensors between them when they alternate).
 *
 * @example
 * ```ts
 * const backend = await createTfjsBackend({ engine: "wasm" });
 * const exe = await backend.compile(graph);
 * const { y } = await exe.run({ x: hostTensor("float32", [2], [1, 2]) });
 * backend.dispose();
 * ```
 */
export async function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsBackend> {
  const requested = options.engine ?? "auto";
  if (!["auto", "tensorflow", "wasm", "cpu"].includes(requested)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `createTfjsBackend: unknown engine "${String(requested)}"; expected auto, tensorflow, wasm or cpu`,
    );
  }
  const active = await initEngine(requested);
  (options.log ?? logOnce)(`tunekit: TensorFlow.js engine "${active.engine}" (${active.reason})`);
  return new TfjsBackendImpl(active, options.keepOnDevice === true);
}
