import { Worker } from "node:worker_threads";
import { TunekitError } from "../errors.js";
import { HOST_KERNELS, type HostKernelCall, runHostKernel } from "../optim/host-kernels.js";

/**
 * One parameter's host update for {@link HostUpdatePool.run}: the kernel call, the parameter,
 * its gradient and its state slots. Arrays of jobs that run on a worker thread are
 * *transferred* there and back (no copy): after `run`, use the arrays it returns.
 *
 * @example
 * ```ts
 * const job: HostUpdateJob = { call: opt.hostKernel!({ name, step, lr }), param, grad, state: { m, v } };
 * ```
 */
export interface HostUpdateJob {
  readonly call: HostKernelCall;
  readonly param: Float32Array;
  readonly grad: Float32Array;
  readonly state: Readonly<Record<string, Float32Array>>;
}

/**
 * A job's updated arrays (the same objects when it ran on the calling thread, new views of
 * the same memory when it ran on a worker).
 *
 * @example
 * ```ts
 * const [{ param, state }] = await pool.run([job]);
 * ```
 */
export interface HostUpdateResult {
  readonly param: Float32Array;
  readonly grad: Float32Array;
  readonly state: Record<string, Float32Array>;
}

/** Parameters smaller than this always run on the calling thread (a hand-off costs more). */
const MIN_HANDOFF = 1 << 16;

function workerSource(): string {
  const kernels = Object.entries(HOST_KERNELS)
    .map(([name, k]) => `${JSON.stringify(name)}: (${k.fn.toString()})`)
    .join(",\n");
  return `"use strict";
const { parentPort } = require("node:worker_threads");
const kernels = {${kernels}};
parentPort.on("message", (jobs) => {
  try {
    const back = [];
    for (const j of jobs) {
      const [p, g, ...slots] = j.buffers.map((b) => new Float32Array(b));
      kernels[j.kernel](p, g, ...slots, 0, p.length, ...j.scalars);
      back.push(...j.buffers);
    }
    parentPort.postMessage({ ok: true, buffers: back }, back);
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String((e && e.stack) || e) });
  }
});`;
}

/** An array that owns its whole (non-shared) buffer, so it can be transferred; else a copy that does. */
function ownBuffer(a: Float32Array): ArrayBuffer {
  if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) {
    return a.buffer;
  }
  return a.slice().buffer as ArrayBuffer;
}

/**
 * Applies host optimizer kernels over several threads: the calling thread and `threads − 1`
 * worker threads. Parameters are spread over the threads by size (largest first, each to
 * the least loaded thread); a worker's parameters, gradients and state are *transferred*
 * to it and back (no copy, nothing shared), so the arrays the caller fed to the backend
 * stay ordinary `ArrayBuffer`s (onnxruntime-node refuses `SharedArrayBuffer` feeds). Every
 * thread runs the same kernel source: the result is bit-identical to a one-thread pass.
 *
 * @example
 * ```ts
 * const pool = new HostUpdatePool(2);
 * const [next] = await pool.run([{ call: opt.hostKernel!({ name, step, lr }), param, grad, state: { m, v } }]);
 * pool.dispose();
 * ```
 */
export class HostUpdatePool {
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private disposed = false;
  private readonly dead = new Set<Worker>();

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `HostUpdatePool: threads must be an integer from 1 to 64, got ${String(threads)}`,
      );
    }
    this.threads = threads;
    if (threads === 1) return;
    const source = workerSource();
    for (let i = 1; i < threads; i++) {
      const worker = new Worker(source, { eval: true });
      worker.unref(); // referenced only while a run is in flight
      worker.once("exit", () => this.dead.add(worker));
      this.workers.push(worker);
    }
  }

  /**
   * Applies every job and resolves with each job's updated arrays, in order. The input
   * arrays of jobs handed to a worker are detached (zero length) afterwards.
   */
  async run(jobs: readonly HostUpdateJob[]): Promise<HostUpdateResult[]> {
    if (this.disposed)
      throw new TunekitError("INVALID_ARGUMENT", "HostUpdatePool.run: the pool was disposed");
    const results: (HostUpdateResult | undefined)[] = jobs.map(() => undefined);
    const load = new Array<number>(this.threads).fill(0);
    const assigned: number[][] = load.map(() => []);
    const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.param.length - jobs[a]!.param.length);
    for (const i of order) {
      const n = jobs[i]!.param.length;
      let t = 0;
      if (n >= MIN_HANDOFF) {
        // The least loaded thread; ties go to a worker (the calling thread also dispatches).
        t = this.threads - 1;
        for (let k = this.threads - 2; k >= 0; k--) if (load[k]! < load[t]!) t = k;
      }
      load[t]! += n;
      assigned[t]!.push(i);
    }
    const pending = this.workers.map((w, k) => {
      const mine = assigned[k + 1]!;
      if (mine.length === 0) return Promise.resolve();
      const msg = mine.map((i) => {
        const job = jobs[i]!;
        const slots = HOST_KERNELS[job.call.kernel].slots;
        return {
          kernel: job.call.kernel,
          scalars: job.call.scalars,
          buffers: [job.param, job.grad, ...slots.map((s) => job.state[s]!)].map(ownBuffer),
        };
      });
      return this.dispatch(w, msg).then((back) => {
        let at = 0;
        for (const i of mine) {
          const slots = HOST_KERNELS[jobs[i]!.call.kernel].slots;
          const param = new Float32Array(back[at++]!);
          const grad = new Float32Array(back[at++]!);
          const state: Record<string, Float32Array> = { ...jobs[i]!.state };
          for (const s of slots) state[s] = new Float32Array(back[at++]!);
          results[i] = { param, grad, state };
        }
      });
    });
    for (const i of assigned[0]!) {
      const job = jobs[i]!;
      runHostKernel(job.call, job.param, job.grad, job.state, 0, job.param.length);
      results[i] = { param: job.param, grad: job.grad, state: { ...job.state } };
    }
    await Promise.all(pending);
    return results as HostUpdateResult[];
  }

  /** Stops the worker threads. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) void w.terminate();
  }

  private dispatch(
    w: Worker,
    msg: { kernel: string; scalars: readonly number[]; buffers: ArrayBuffer[] }[],
  ): Promise<ArrayBuffer[]> {
    return new Promise<ArrayBuffer[]>((resolve, reject) => {
      const done = (): void => {
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        w.unref();
      };
      const onMessage = (m: { ok: boolean; message?: string; buffers?: ArrayBuffer[] }): void => {
        done();
        if (m.ok) resolve(m.buffers!);
        else reject(new TunekitError("BACKEND_EXECUTION", `HostUpdatePool: a worker failed: ${m.message}`));
      };
      const onError = (e: Error): void => {
        done();
        reject(
          new TunekitError("BACKEND_EXECUTION", `HostUpdatePool: a worker died: ${e.message}`, { cause: e }),
        );
      };
      const onExit = (code: number): void => {
        done();
        reject(
          new TunekitError(
            "BACKEND_EXECUTION",
            `HostUpdatePool: a worker exited (code ${code}); dispose the runner and create a new one`,
          ),
        );
      };
      if (this.disposed || this.dead.has(w)) {
        reject(
          new TunekitError(
            "BACKEND_EXECUTION",
            "HostUpdatePool: a worker thread has stopped; dispose the runner and create a new one",
          ),
        );
        return;
      }
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      w.ref();
      w.postMessage(
        msg,
        msg.flatMap((j) => j.buffers),
      );
    });
  }
}
