import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { isTunekitError } from "@tunekit/core";
import { describe, expect, it } from "vitest";
import { acquireRunLock, LOCK_FILE, type RunLockInfo } from "./run-lock.js";

const dir = (): Promise<string> => mkdtemp(join(tmpdir(), "tunekit-lock-"));
const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

async function writeLock(out: string, info: Partial<RunLockInfo>): Promise<void> {
  const full = {
    hostname: hostname(),
    command: "tunekit train other.json",
    startedAt: "2026-01-01T00:00:00.000Z",
    token: "t",
    ...info,
  };
  await writeFile(join(out, LOCK_FILE), JSON.stringify(full));
}

/** The pid of a process that has ended (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid!;
}

describe("acquireRunLock", () => {
  it("writes a lock with this pid; a second run gets RUN_LOCKED naming the holder and --break-lock", async () => {
    const out = await dir();
    const lock = await acquireRunLock(out, { command: "tunekit train a.json" });
    const info = JSON.parse(await readFile(join(out, LOCK_FILE), "utf8")) as RunLockInfo;
    expect(info.pid).toBe(process.pid);
    expect(info.command).toBe("tunekit train a.json");
    const second = await acquireRunLock(out, { command: "tunekit train b.json" }).catch((e: unknown) => e);
    expect(isTunekitError(second, "RUN_LOCKED")).toBe(true);
    const message = (second as Error).message;
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toContain('"tunekit train a.json"');
    expect(message).toContain("--break-lock");
    await lock.release();
    expect(await exists(join(out, LOCK_FILE))).toBe(false);
    const third = await acquireRunLock(out, { command: "tunekit train b.json" });
    await third.release();
  });

  it("removes a stale lock of a process that no longer runs, with a notice", async () => {
    const out = await dir();
    const pid = deadPid();
    await writeLock(out, { pid });
    const notes: string[] = [];
    const lock = await acquireRunLock(out, { command: "x", note: (l) => notes.push(l) });
    expect(notes.join("\n")).toContain(`removed a stale run lock of pid ${pid}`);
    expect((JSON.parse(await readFile(lock.path, "utf8")) as RunLockInfo).pid).toBe(process.pid);
    await lock.release();
  });

  it("a live holder, or one on another host, is only overridden with breakLock", async () => {
    const out = await dir();
    await writeLock(out, { pid: deadPid(), hostname: "elsewhere" });
    const refused = await acquireRunLock(out, { command: "x" }).catch((e: unknown) => e);
    expect(isTunekitError(refused, "RUN_LOCKED")).toBe(true);
    expect((refused as Error).message).toContain("on host elsewhere");
    await writeLock(out, { pid: process.ppid });
    expect(
      isTunekitError(await acquireRunLock(out, { command: "x" }).catch((e: unknown) => e), "RUN_LOCKED"),
    ).toBe(true);
    const notes: string[] = [];
    const lock = await acquireRunLock(out, { command: "x", breakLock: true, note: (l) => notes.push(l) });
    expect(notes.join("\n")).toContain(`--break-lock: took over the run lock of pid ${process.ppid}`);
    await lock.release();
  });

  it("release leaves a lock that is not its own (taken over with breakLock) in place", async () => {
    const out = await dir();
    const first = await acquireRunLock(out, { command: "a" });
    const second = await acquireRunLock(out, { command: "b", breakLock: true });
    await first.release();
    expect((JSON.parse(await readFile(second.path, "utf8")) as RunLockInfo).command).toBe("b");
    await second.release();
  });

  it("an output path that cannot be created is OUTPUT_NOT_WRITABLE, naming the reason", async () => {
    const parent = await dir();
    await writeFile(join(parent, "file"), "x");
    const e = await acquireRunLock(join(parent, "file", "run"), { command: "x" }).catch(
      (err: unknown) => err,
    );
    expect(isTunekitError(e, "OUTPUT_NOT_WRITABLE")).toBe(true);
    expect((e as Error).message).toContain("a part of the path is a file, not a folder (ENOTDIR)");
  });
});
