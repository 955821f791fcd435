import { type ChildProcess, spawn } from "node:child_process";

/**
 * Options of {@link runPool}.
 *
 * @example
 * ```ts
 * const o: PoolOptions = { size: 4, args: ["worker", "--redis", url, "--storage", dir], log: console.error };
 * ```
 */
export interface PoolOptions {
  /** Number of worker processes. */
  readonly size: number;
  /** Arguments of the CLI script for one worker process (`worker … --concurrency 1`). */
  readonly args: readonly string[];
  readonly log: (line: string) => void;
  /** Restart a worker process that exited on its own (default true). */
  readonly restart?: boolean;
}

/**
 * Runs `size` worker processes of the running CLI script (same Node flags), restarts one that
 * dies (at most once per 5 s each), forwards SIGINT / SIGTERM to all and resolves with 0 once
 * every process has exited after such a signal.
 *
 * @example
 * ```ts
 * process.exitCode = await runPool({ size: 2, args: ["worker", "--redis", url, "--storage", dir, "--concurrency", "1"], log: console.error });
 * ```
 */
export function runPool(o: PoolOptions): Promise<number> {
  const script = process.argv[1]!;
  const children = new Set<ChildProcess>();
  let stopping = false;
  return new Promise((resolveDone) => {
    const start = (slot: number): void => {
      const startedAt = Date.now();
      const child = spawn(process.execPath, [...process.execArgv, script, ...o.args], {
        // own process group: a terminal's Ctrl-C reaches the workers once, forwarded from here;
        // the IPC channel tells a worker that the pool is gone (it then stops as on SIGTERM)
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        env: process.env,
        detached: true,
      });
      children.add(child);
      o.log(`pool: worker process ${slot + 1} of ${o.size} started (pid ${child.pid})`);
      child.on("exit", (code, signal) => {
        children.delete(child);
        if (stopping) {
          if (children.size === 0) {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolveDone(0);
          }
          return;
        }
        o.log(`pool: worker process ${slot + 1} (pid ${child.pid}) exited (${signal ?? `code ${code}`})`);
        if (o.restart === false) {
          if (children.size === 0) resolveDone(1);
          return;
        }
        const wait = Math.max(0, 5_000 - (Date.now() - startedAt));
        setTimeout(() => {
          if (!stopping) start(slot);
        }, wait).unref();
      });
    };
    const stop = (signal: NodeJS.Signals): void => {
      if (!stopping)
        o.log(`pool: ${signal}: stopping ${children.size} worker process(es) at their next checkpoint`);
      stopping = true;
      for (const c of children) c.kill(signal);
      if (children.size === 0) resolveDone(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    for (let i = 0; i < o.size; i++) start(i);
  });
}
