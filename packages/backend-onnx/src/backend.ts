import { type Backend, TunekitError } from "@tunekit/core";
import type { CompileOptions, Executable, Graph } from "@tunekit/core/ir";
import * as ort from "onnxruntime-node";
import { profileFiles } from "./profile.js";
import { type OnnxExecutionProvider, resolveExecutionProviders } from "./providers.js";
import { type DeviceReader, identityModel } from "./device-tensor.js";
import { lowerGraph } from "./lower.js";
import { OnnxExecutable, toHostTensor } from "./onnx-executable.js";
import { SessionCache } from "./session-cache.js";
import { disableOnnxTelemetry } from "./telemetry.js";

disableOnnxTelemetry(); // before the first session: no mat-debug-<pid>.log litter, no ~/.cache database

/**
 * Options of {@link createOnnxBackend}.
 *
 * @example
 * ```ts
 * const options: OnnxBackendOptions = { intraOpNumThreads: 2, graphOptimizationLevel: "all" };
 * ```
 */
export interface OnnxBackendOptions {
  /**
   * Execution providers in priority order, each a name or `{ name, ...options }` passed to
   * onnxruntime (default: the names in the `TUNEKIT_ONNX_PROVIDERS` environment variable,
   * comma-separated, else `["cpu"]`): `[{ name: "cuda", deviceId: 0 }]`, `["webgpu"]`. Each is
   * tried once when the backend is created; one that cannot run here is dropped with a
   * message (to `log`, else `console.warn`) saying why, and the CPU provider is used.
   */
  readonly executionProviders?: readonly OnnxExecutionProvider[];
  /**
   * What to do when a requested provider cannot run here: `"cpu"` (default) falls back to
   * the CPU provider with a message; `"error"` fails {@link createOnnxBackend}.
   */
  readonly fallback?: "cpu" | "error";
  /** Threads inside one op (default: onnxruntime's choice, one per physical core). */
  readonly intraOpNumThreads?: number;
  /** Threads across independent ops (used with parallel execution mode only). */
  readonly interOpNumThreads?: number;
  /** onnxruntime graph optimisation level (default `"all"`). */
  readonly graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** `"sequential"` (default) or `"parallel"` (independent ops on `interOpNumThreads` threads). */
  readonly executionMode?: "sequential" | "parallel";
  /**
   * Writes onnxruntime's per-node profile (Chrome trace JSON) for each session, to
   * `<profileFilePrefix>_<date>.json` in the working directory when the session ends profiling
   * ({@link OnnxBackend.endProfiling}) or is released.
   */
  readonly enableProfiling?: boolean;
  /** File name prefix of the profiles (default onnxruntime's, `onnxruntime_profile_`). */
  readonly profileFilePrefix?: string;
  /** onnxruntime's CPU memory arena (default on). */
  readonly enableCpuMemArena?: boolean;
  /**
   * onnxruntime's memory pattern planning (default **off** here, unlike onnxruntime): the
   * pattern pre-allocates one block sized from the first run; for a BERT-4×256 full
   * fine-tuning step (batch 16 × 128) it raised peak RSS from about 835 MB to 930 MB with no
   * measurable speed gain.
   */
  readonly enableMemPattern?: boolean;
  /**
   * Writes the model as onnxruntime optimised it (after fusions and constant folding) to this
   * path when a session is created: for inspecting what a lowering became.
   */
  readonly optimizedModelFilePath?: string;
  /**
   * Session config entries passed through unchanged (`{ "session.intra_op.allow_spinning": "0" }`).
   * By default `"optimization.disable_specified_optimizers"` is `"SkipLayerNormFusion"`:
   * onnxruntime 1.30's CPU `SkipLayerNormalization` took 4–6× the time of the `Add` and
   * `LayerNormalization` it replaces (63–90 against 15–18 ms per frozen-encoder forward of the
   * bench BERT, batch 16 × 128); set the key (to `""` for none) to choose otherwise.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** onnxruntime log severity: 0 verbose … 4 fatal (default 3, errors). */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Bound constants (`CompileOptions.constants`, e.g. frozen weights) of at least this many
   * bytes are fed to onnxruntime on every run from the bound array itself instead of being
   * copied into the model as initializers (default 262144, 256 KiB; `Infinity` makes every
   * constant an initializer). onnxruntime reads a fed CPU tensor in place, so a frozen weight
   * then exists once in the process; as an initializer it exists in the JS value, in
   * onnxruntime's copy and in the copies onnxruntime pre-packs for `Gemm`/`MatMul` (about 3.7×
   * its size in all: 2.0 GB of 538 MB frozen weights for LoRA on a SmolLM2-135M-shaped
   * decoder). The step speed was the same within the noise of the causal-LM bench. A fed constant is read at every
   * run: do not write into a bound array after compiling (replacing a parameter's `value`
   * with a new tensor is fine; the executable keeps the one it was compiled with).
   */
  readonly feedConstantsFrom?: number;
  /** Receives one line per compile (model size, node count, session shared or created). */
  readonly log?: (message: string) => void;
  /**
   * How dropout masks are made (see the README): `"seeded"` (default) hashes the graph's seed
   * input with each element's index, so a seed always gives the same mask; `"onnx"` uses
   * ONNX `Dropout`, whose generator ignores the seed input and advances on every run.
   */
  readonly dropout?: "seeded" | "onnx";
  /** Mixed into every dropout mask (the hash key, or the base of the `Dropout` seeds). */
  readonly dropoutSeed?: number;
}

/**
 * Providers whose outputs onnxruntime-node can leave in device memory (`gpu-buffer` tensors)
 * and take back as inputs. onnxruntime-node 1.30 binds device tensors for WebGPU only: CUDA
 * outputs are always copied to the host.
 */
const DEVICE_RESIDENT_PROVIDERS = new Set(["webgpu"]);

/**
 * The backend returned by {@link createOnnxBackend}: a {@link Backend} plus session statistics.
 *
 * @example
 * ```ts
 * backend.sessionStats(); // { created: 1, live: 1 }
 * ```
 */
export interface OnnxBackend extends Backend {
  /** Execution provider names the sessions use, in priority order (after any fallback). */
  readonly executionProviders: readonly string[];
  /** Sessions created so far (cache misses) and sessions alive now. */
  sessionStats(): { readonly created: number; readonly live: number };
  /**
   * Ends profiling on every live session (with `enableProfiling`) and returns the profile
   * files onnxruntime wrote, newest first (empty when profiling is off).
   */
  endProfiling(): Promise<string[]>;
}

/** Default of {@link OnnxBackendOptions.feedConstantsFrom}: weight matrices fed, vectors embedded. */
const DEFAULT_FEED_CONSTANTS_FROM = 256 * 1024;

/** Largest model protobuf can hold without external data. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * The default providers: the comma-separated names in `TUNEKIT_ONNX_PROVIDERS` (for running an
 * unchanged program or test suite on an accelerator, as `scripts/device-check.sh` does), else cpu.
 */
function providersFromEnv(): OnnxExecutionProvider[] {
  const names = (process.env.TUNEKIT_ONNX_PROVIDERS ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  return names.length > 0 ? names.map((name) => ({ name })) : ["cpu"];
}

function backendName(eps: readonly OnnxExecutionProvider[]): string {
  const first = eps[0] ?? "cpu";
  return `onnx-${typeof first === "string" ? first : first.name}`;
}

const DISABLED_OPTIMIZERS_KEY = "optimization.disable_specified_optimizers";
/** onnxruntime graph fusions left out by default (see `OnnxBackendOptions.extra`). */
const DEFAULT_DISABLED_OPTIMIZERS = "SkipLayerNormFusion";

/**
 * Creates a backend that lowers each IR graph (forward, backward and optimizer update alike)
 * to one standard ONNX model (opset 18, `ai.onnx` ops only) and runs it with
 * onnxruntime-node. Values bound in `CompileOptions.constants` are stored in the model as
 * initializers; identical lowered models share one `InferenceSession`.
 *
 * @example
 * ```ts
 * const backend = await createOnnxBackend({ intraOpNumThreads: 2 });
 * const exe = await backend.compile(graph, { constants: frozen });
 * const { loss } = await exe.run(feeds);
 * backend.dispose();
 * ```
 */
export async function createOnnxBackend(options: OnnxBackendOptions = {}): Promise<OnnxBackend> {
  const resolved = await resolveExecutionProviders(options.executionProviders ?? providersFromEnv(), {
    ...(options.fallback !== undefined ? { fallback: options.fallback } : {}),
  });
  for (const message of resolved.dropped) (options.log ?? console.warn)(`onnx backend: ${message}`);
  const eps = resolved.providers;
  const name = backendName(eps);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: eps as ort.InferenceSession.ExecutionProviderConfig[],
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
    logSeverityLevel: options.logSeverityLevel ?? 3,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.interOpNumThreads !== undefined ? { interOpNumThreads: options.interOpNumThreads } : {}),
    ...(options.executionMode !== undefined ? { executionMode: options.executionMode } : {}),
    ...(options.enableProfiling !== undefined ? { enableProfiling: options.enableProfiling } : {}),
    ...(options.profileFilePrefix !== undefined ? { profileFilePrefix: options.profileFilePrefix } : {}),
    ...(options.enableCpuMemArena !== undefined ? { enableCpuMemArena: options.enableCpuMemArena } : {}),
    enableMemPattern: options.enableMemPattern ?? false,
    extra: { [DISABLED_OPTIMIZERS_KEY]: DEFAULT_DISABLED_OPTIMIZERS, ...options.extra },
    ...(options.optimizedModelFilePath !== undefined
      ? { optimizedModelFilePath: options.optimizedModelFilePath }
      : {}),
  };
  const keepsOnDevice = DEVICE_RESIDENT_PROVIDERS.has(backendName(eps).slice("onnx-".length));
  const cache = new SessionCache(async (bytes, keepOnDevice) => {
    try {
      return await ort.InferenceSession.create(
        bytes,
        keepOnDevice.length === 0
          ? sessionOptions
          : {
              ...sessionOptions,
              preferredOutputLocation: Object.fromEntries(
                keepOnDevice.map((n) => [n, "gpu-buffer" as const]),
              ),
            },
      );
    } catch (e) {
      throw new TunekitError(
        "BACKEND_EXECUTION",
        `${name}: onnxruntime rejected the lowered model (${bytes.length} bytes): ${(e as Error).message}`,
        { cause: e },
      );
    }
  });
  const feedConstantsFrom = options.feedConstantsFrom ?? DEFAULT_FEED_CONSTANTS_FROM;
  const live = new Set<OnnxExecutable>();
  let disposed = false;
  // Device tensors are read back through one Identity session per dtype and shape.
  const readSessions = new Map<string, Promise<ort.InferenceSession>>();
  const reader: DeviceReader = async (tensor, dtype, shape) => {
    if (disposed)
      throw new TunekitError("INVALID_ARGUMENT", `${name}: read() of a device tensor after dispose()`);
    const key = `${dtype}[${shape.join(",")}]`;
    let session = readSessions.get(key);
    if (session === undefined) {
      session = ort.InferenceSession.create(identityModel(dtype, shape), sessionOptions);
      readSessions.set(key, session);
    }
    const out = await (await session).run({ x: tensor });
    return toHostTensor(out.y as ort.Tensor, { dtype, shape });
  };
  const owner = {};

  return {
    name,
    keepsOnDevice,
    async compile(graph: Graph, compileOptions: CompileOptions = {}): Promise<Executable> {
      if (disposed)
        throw new TunekitError("INVALID_ARGUMENT", `${name}: compile() called on a disposed backend`);
      const constants = compileOptions.constants ?? {};
      const model = lowerGraph(graph, {
        constants,
        feedConstantsFrom,
        ...(compileOptions.outputs ? { outputs: compileOptions.outputs } : {}),
        lower: {
          ...(keepsOnDevice ? { provider: "webgpu" as const } : {}),
          ...(options.dropout !== undefined ? { dropout: options.dropout } : {}),
          ...(options.dropoutSeed !== undefined ? { dropoutSeed: options.dropoutSeed } : {}),
        },
      });
      if (model.bytes.length > PROTOBUF_LIMIT) {
        throw new TunekitError(
          "NOT_IMPLEMENTED",
          `${name}: the lowered model is ${model.bytes.length} bytes, over protobuf's 2 GB limit; ` +
            "external-data models are not supported yet: feed the large weights instead of binding them as constants",
        );
      }
      const keep = keepsOnDevice ? new Set(compileOptions.keepOnDevice ?? []) : new Set<string>();
      const keptOnnx = model.outputs.filter((io) => keep.has(io.name)).map((io) => io.onnxName);
      const { key, session, hit } = await cache.acquire(model.bytes, keptOnnx);
      options.log?.(
        `${name}: ${hit ? "reusing" : "created"} session for a model of ${model.onnxNodeCount} ONNX nodes, ` +
          `${model.bytes.length} bytes, ${model.inputs.length} inputs, ${model.outputs.length} outputs`,
      );
      const exe: OnnxExecutable = new OnnxExecutable(
        name,
        model,
        constants,
        session,
        () => {
          live.delete(exe);
          cache.release(key);
        },
        keepsOnDevice ? { owner, keep, reader } : undefined,
      );
      live.add(exe);
      return exe;
    },
    executionProviders: eps.map((ep) => (typeof ep === "string" ? ep : ep.name)),
    sessionStats: () => ({ created: cache.created, live: cache.size }),
    async endProfiling(): Promise<string[]> {
      if (!options.enableProfiling) return [];
      const before = Date.now() - 1000;
      for (const session of await cache.sessions()) session.endProfiling();
      return profileFiles(options.profileFilePrefix ?? "onnxruntime_profile_", before);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const exe of [...live]) exe.dispose();
      cache.clear();
      for (const session of readSessions.values())
        void session.then((s) => s.release()).catch(() => undefined);
      readSessions.clear();
    },
  };
}
