import { randomUUID } from "node:crypto";
import { unlinkSync } from "node:fs";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { TunekitError } from "@tunekit/core";
import { outputNotWritable } from "./output-errors.js";

/**
 * File in a run folder that marks it as in use by a running `tunekit train`.
 *
 * @example
 * ```ts
 * const holder = JSON.parse(await readFile(join("runs/sst2-tiny", LOCK_FILE), "utf8")).pid;
 * ```
 */
export const LOCK_FILE = ".tunekit-lock";

/**
 * What a lock file records about the run holding it.
 *
 * @example
 * ```ts
 * const info: RunLockInfo = { pid: 4242, hostname: "box", command: "tunekit train examples/sst2-tiny.json", startedAt: "2026-01-01T00:00:00.000Z", token: "3f1c…" };
 * ```
 */
export interface RunLockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly command: string;
  readonly startedAt: string;
  /** Random id of this lock (so a run removes only its own lock). */
  readonly token: string;
}

/**
 * A held run lock; `release` removes it (also done at process exit).
 *
 * @example
 * ```ts
 * const lock = await acquireRunLock("runs/x", { command: "tunekit train x.json" });
 * try { await train(); } finally { await lock.release(); }
 * ```
 */
export interface RunLock {
  readonly path: string;
  readonly info: RunLockInfo;
  /** Removes the lock file (when it is still this run's); safe to call twice. */
  release(): Promise<void>;
  /** Synchronous {@link release}, for exit paths (a second Ctrl-C). */
  releaseSync(): void;
}

/**
 * Options of {@link acquireRunLock}.
 *
 * @example
 * ```ts
 * const o: RunLockOptions = { command: "tunekit train x.json", breakLock: false, note: console.error };
 * ```
 */
export interface RunLockOptions {
  /** Recorded in the lock, and shown to a second run. */
  readonly command: string;
  /** Take the lock even when another run seems to hold it (`--break-lock`). */
  readonly breakLock?: boolean;
  /** Notices (a stale lock removed, a lock broken). */
  readonly note?: (line: string) => void;
  /** Whether a process id is running on this host (default: `process.kill(pid, 0)`). */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * Takes the run lock of `dir` (creating the folder): a lock file written in full to a
 * temporary file and hard-linked to {@link LOCK_FILE}, so exactly one run wins and no run
 * ever reads a half-written lock. A lock of a process that no longer runs on this host is
 * stale: it is removed with a notice. A live holder (or one on another host, which cannot
 * be checked) makes this throw `RUN_LOCKED` naming its pid, host, command and start time,
 * and how to override (`--break-lock`). A folder that cannot be written throws
 * `OUTPUT_NOT_WRITABLE` before anything else happens.
 *
 * @example
 * ```ts
 * const lock = await acquireRunLock(config.output, { command: "tunekit train examples/sst2-tiny.json" });
 * ```
 */
export async function acquireRunLock(dir: string, o: RunLockOptions): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw outputNotWritable(dir, e);
  }
  const info: RunLockInfo = {
    pid: process.pid,
    hostname: hostname(),
    command: o.command,
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
  const tmp = join(dir, `.tunekit-lock.${process.pid}.${info.token.slice(0, 8)}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { flag: "wx" });
  } catch (e) {
    throw outputNotWritable(dir, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw outputNotWritable(dir, e);
      }
      const holder = await readHolder(path);
      if (holder === "gone") continue; // released between our link and our read: try again
      const alive = o.isAlive ?? isProcessAlive;
      const stale =
        holder !== undefined &&
        holder.hostname === info.hostname &&
        holder.pid !== process.pid &&
        !alive(holder.pid);
      if (attempt > 3 || !(stale || o.breakLock === true)) throw lockedError(dir, path, holder);
      // Move the old lock aside first: of two runs breaking it at once, only one renames it.
      const aside = `${path}.${info.token.slice(0, 8)}.stale`;
      if (
        await rename(path, aside).then(
          () => true,
          () => false,
        )
      ) {
        await unlink(aside).catch(() => undefined);
        o.note?.(
          stale
            ? `note: removed a stale run lock of pid ${holder!.pid} (no longer running) in ${dir}`
            : `note: --break-lock: took over the run lock of ${describeHolder(holder)} in ${dir}`,
        );
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return lockHandle(path, info);
}

function lockHandle(path: string, info: RunLockInfo): RunLock {
  let released = false;
  const ours = (text: string | undefined): boolean => {
    try {
      return text !== undefined && (JSON.parse(text) as RunLockInfo).token === info.token;
    } catch {
      return false;
    }
  };
  const onExit = (): void => handle.releaseSync();
  const handle: RunLock = {
    path,
    info,
    async release() {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      if (ours(await readFile(path, "utf8").catch(() => undefined)))
        await unlink(path).catch(() => undefined);
    },
    releaseSync() {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
  process.on("exit", onExit);
  return handle;
}

async function readHolder(path: string): Promise<RunLockInfo | undefined | "gone"> {
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) =>
    e.code === "ENOENT" ? null : "",
  );
  if (text === null) return "gone";
  try {
    const v = JSON.parse(text) as Partial<RunLockInfo>;
    return typeof v.pid === "number" && typeof v.hostname === "string" ? (v as RunLockInfo) : undefined;
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

function describeHolder(h: RunLockInfo | undefined): string {
  if (h === undefined) return "an unknown run (the lock file is not valid JSON)";
  return `pid ${h.pid} on host ${h.hostname} (${JSON.stringify(h.command)}, started ${h.startedAt})`;
}

function lockedError(dir: string, path: string, holder: RunLockInfo | undefined): TunekitError {
  return new TunekitError(
    "RUN_LOCKED",
    `${dir} is in use by another tunekit run: ${describeHolder(holder)}; expected a folder no other run is writing to. ` +
      `Wait for that run to finish or pass another --output. If that run is gone (a lock of a process that ended on this ` +
      `host is removed automatically; one from another host cannot be checked), pass --break-lock or delete ${path}`,
    {
      details: {
        dir,
        lock: path,
        ...(holder === undefined ? {} : { pid: holder.pid, hostname: holder.hostname }),
      },
    },
  );
}
