import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TfNamespace from "@tensorflow/tfjs";
import { TunekitError } from "@tunekit/core";

/**
 * The TensorFlow.js namespace a backend runs on (`@tensorflow/tfjs` or the tfjs-node one).
 *
 * @example
 * ```ts
 * const relu = (tf: Tf, x: TfTensor): TfTensor => tf.relu(x);
 * ```
 */
export type Tf = typeof TfNamespace;
/**
 * A TensorFlow.js tensor.
 *
 * @example
 * ```ts
 * const twice = (tf: Tf, x: TfTensor): TfTensor => tf.mul(x, 2);
 * ```
 */
export type TfTensor = TfNamespace.Tensor;

/**
 * TensorFlow.js engine to run on. `tensorflow` is native TensorFlow through the optional
 * `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node` packages; `wasm` is
 * `@tensorflow/tfjs-backend-wasm` (SIMD, single-threaded in Node); `cpu` is plain JavaScript
 * (slow; for tests and debugging). `auto` picks the first available in that order.
 *
 * @example
 * ```ts
 * const engine: TfjsEngine = "wasm";
 * ```
 */
export type TfjsEngine = "tensorflow" | "wasm" | "cpu";

/**
 * An initialised engine: the namespace to call and the tfjs backend name that is active
 * (what a `TfjsExecutable` runs on).
 *
 * @example
 * ```ts
 * const active: ActiveEngine = { tf, engine: "wasm", reason: "requested" };
 * ```
 */
export interface ActiveEngine {
  readonly tf: Tf;
  readonly engine: TfjsEngine;
  /** Why this engine was chosen, for the log. */
  readonly reason: string;
}

const NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

function isTfNamespace(m: unknown): m is Tf {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { tensor?: unknown }).tensor === "function" &&
    typeof (m as { setBackend?: unknown }).setBackend === "function"
  );
}

/** Imports tfjs-node(-gpu) when it is resolvable from here; says why not otherwise. */
async function importNodeEngine(
  pkg: string,
): Promise<{ tf: Tf; error?: undefined } | { tf?: undefined; error: string }> {
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    return { error: "not installed" };
  }
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional peer.
    const mod: unknown = await import(/* @vite-ignore */ pkg);
    const ns = (mod as { default?: unknown }).default;
    if (isTfNamespace(ns)) return { tf: ns };
    if (isTfNamespace(mod)) return { tf: mod };
    return { error: `${pkg} loaded but does not look like a TensorFlow.js namespace` };
  } catch (e) {
    return { error: `installed but failed to load: ${(e as Error).message}` };
  }
}

async function loadTfjs(): Promise<Tf> {
  return (await import("@tensorflow/tfjs")) as Tf;
}

async function activate(tf: Tf, name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Registers the wasm backend and initialises it. The `.wasm` binaries are located explicitly
 * (the package's `dist` folder, resolved from `node_modules`) before the first initialisation,
 * so that bundled code finds them too; `setWasmPaths` can only be called before that.
 */
async function activateWasm(tf: Tf): Promise<boolean> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (tf.findBackend("wasm") === null) {
    try {
      const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
      wasm.setWasmPaths(join(dirname(entry), "/"));
    } catch {
      // Already initialised elsewhere, or not resolvable: keep the package's default lookup.
    }
  }
  return activate(tf, "wasm");
}

/**
 * Initialises the requested engine (or the best available one for `auto`) and makes it the
 * active TensorFlow.js backend.
 *
 * @example
 * ```ts
 * const { tf, engine } = await initEngine("auto"); // engine: "wasm" when tfjs-node is absent
 * ```
 */
export async function initEngine(requested: TfjsEngine | "auto"): Promise<ActiveEngine> {
  const notes: string[] = [];
  if (requested === "tensorflow" || requested === "auto") {
    for (const pkg of NODE_PACKAGES) {
      const r = await importNodeEngine(pkg);
      if (r.tf && (await activate(r.tf, "tensorflow"))) {
        return { tf: r.tf, engine: "tensorflow", reason: `native TensorFlow through ${pkg}` };
      }
      notes.push(`${pkg}: ${r.error ?? "loaded but the 'tensorflow' backend did not initialise"}`);
    }
    if (requested === "tensorflow") {
      throw new TunekitError(
        "BACKEND_UNAVAILABLE",
        `engine "tensorflow" requested but no native TensorFlow.js package could be used (${notes.join("; ")}); ` +
          'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu) or pick engine "wasm"',
      );
    }
  }
  const tf = await loadTfjs();
  if (requested === "wasm" || requested === "auto") {
    if (await activateWasm(tf)) {
      const why = requested === "wasm" ? "requested" : `fallback (${notes.join("; ")})`;
      return { tf, engine: "wasm", reason: `${why}; WebAssembly SIMD, single-threaded in Node` };
    }
    if (requested === "wasm") {
      throw new TunekitError(
        "BACKEND_UNAVAILABLE",
        'engine "wasm" requested but @tensorflow/tfjs-backend-wasm did not initialise; ' +
          'check that its dist/*.wasm files are present, or pick engine "cpu"',
      );
    }
    notes.push("wasm: did not initialise");
  }
  if (!(await activate(tf, "cpu"))) {
    throw new TunekitError("BACKEND_UNAVAILABLE", "the TensorFlow.js cpu backend did not initialise");
  }
  const why = requested === "cpu" ? "requested" : `fallback (${notes.join("; ")})`;
  return { tf, engine: "cpu", reason: `${why}; plain JavaScript kernels (slow)` };
}

/**
 * Makes `engine` the active TensorFlow.js backend again if another backend instance in this
 * process switched it (the TensorFlow.js engine is global).
 *
 * @example
 * ```ts
 * await ensureActive(active);
 * ```
 */
export async function ensureActive(active: ActiveEngine): Promise<void> {
  if (active.tf.getBackend() !== active.engine) await active.tf.setBackend(active.engine);
}
