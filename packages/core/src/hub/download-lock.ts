import { hostname } from "node:os";
import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { TunekitError } from "../errors.js";

/**
 * Options of {@link withDownloadLock}.
 *
 * @example
 * ```ts
 * const o: DownloadLockOptions = { pollMs: 50, staleMs: 60_000 };
 * ```
 */
export interface DownloadLockOptions {
  /** How often a waiting process looks again (default 200 ms). */
  readonly pollMs?: number;
  /**
   * A lock whose file and `watch` file have not changed for this long is taken over even when
   * its owner cannot be checked (another host). Default 10 minutes.
   */
  readonly staleMs?: number;
  /** A file the owner keeps writing (the `.incomplete` download): its changes keep the lock fresh. */
  readonly watch?: string;
  /** Gives up waiting after this long with `IO_ERROR` (default: wait while the owner is alive). */
  readonly timeoutMs?: number;
}

/**
 * Runs `fn` while holding an exclusive lock file at `path`, so two processes (or two calls in
 * one process) never download the same blob at once. The file is created with `O_EXCL` and
 * holds the owner's pid and host; a lock left by a process that died (same host, pid gone)
 * or untouched for `staleMs` is removed and taken.
 *
 * @example
 * ```ts
 * await withDownloadLock(".locks/models--org--name/abc.tunekit.lock", async () => download(), { watch: "blobs/abc.incomplete" });
 * ```
 */
export async function withDownloadLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: DownloadLockOptions = {},
): Promise<T> {
  const pollMs = options.pollMs ?? 200;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const started = Date.now();
  await mkdir(dirname(path), { recursive: true });
  const me = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  for (;;) {
    const handle = await open(path, "wx").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EEXIST") return undefined;
      throw new TunekitError(
        "IO_ERROR",
        `could not create the download lock ${path}: ${e.message}; check that the cache folder is writable`,
        { cause: e },
      );
    });
    if (handle !== undefined) {
      try {
        await handle.writeFile(me);
      } finally {
        await handle.close();
      }
      try {
        return await fn();
      } finally {
        await unlink(path).catch(() => undefined);
      }
    }
    if (await isStale(path, staleMs, options.watch)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new TunekitError(
        "IO_ERROR",
        `another process holds the download lock ${path} (waited ${Math.round((Date.now() - started) / 1000)} s); wait for it, or delete the file if no download is running`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function isStale(path: string, staleMs: number, watch: string | undefined): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return false; // just released: try again
  let owner: { pid?: unknown; host?: unknown } = {};
  try {
    owner = JSON.parse(text) as typeof owner;
  } catch {
    // a lock being written right now reads as empty; only age can make it stale
  }
  if (owner.host === hostname() && typeof owner.pid === "number" && !alive(owner.pid)) return true;
  const times = await Promise.all(
    [path, watch].map(async (p) =>
      p === undefined ? 0 : ((await stat(p).catch(() => undefined))?.mtimeMs ?? 0),
    ),
  );
  return Date.now() - Math.max(...times) > staleMs;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
