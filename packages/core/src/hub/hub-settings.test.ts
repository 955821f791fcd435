import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { homedir, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { withDownloadLock } from "./download-lock.js";
import { redactSecret, safeUrl } from "./hub-errors.js";
import { resolveHubSettings } from "./hub-settings.js";

describe("resolveHubSettings (huggingface_hub's environment rules)", () => {
  it("cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME, else ~/.cache", () => {
    expect(resolveHubSettings({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }).cacheDir).toBe("/c");
    expect(resolveHubSettings({ HUGGINGFACE_HUB_CACHE: "/legacy", HF_HOME: "/h" }).cacheDir).toBe("/legacy");
    expect(resolveHubSettings({ HF_HOME: "/h", XDG_CACHE_HOME: "/x" }).cacheDir).toBe("/h/hub");
    expect(resolveHubSettings({ XDG_CACHE_HOME: "/x" }).cacheDir).toBe("/x/huggingface/hub");
    expect(resolveHubSettings({}).cacheDir).toBe(join(homedir(), ".cache", "huggingface", "hub"));
    expect(resolveHubSettings({ HF_HOME: "~/hf" }).cacheDir).toBe(join(homedir(), "hf", "hub"));
  });

  it("endpoint, offline values and the token (HF_TOKEN, else HF_HOME/token)", async () => {
    expect(resolveHubSettings({}).endpoint).toBe("https://huggingface.co");
    expect(resolveHubSettings({ HF_ENDPOINT: "http://127.0.0.1:8080/" }).endpoint).toBe(
      "http://127.0.0.1:8080",
    );
    for (const v of ["1", "on", "YES", "true"])
      expect(resolveHubSettings({ HF_HUB_OFFLINE: v }).offline).toBe(true);
    for (const v of ["0", "", "off", "no"])
      expect(resolveHubSettings({ HF_HUB_OFFLINE: v }).offline).toBe(false);
    expect(resolveHubSettings({ TRANSFORMERS_OFFLINE: "1" }).offline).toBe(true);
    const home = await mkdtemp(join(tmpdir(), "tunekit-hfhome-"));
    expect(resolveHubSettings({ HF_HOME: home }).token).toBeUndefined();
    await writeFile(join(home, "token"), "hf_fromfile\n");
    expect(resolveHubSettings({ HF_HOME: home }).token).toBe("hf_fromfile");
    expect(resolveHubSettings({ HF_HOME: home, HF_TOKEN: "hf_env" }).token).toBe("hf_env");
    let err: unknown;
    try {
      resolveHubSettings({ HF_ENDPOINT: "ftp://example.org" });
    } catch (e) {
      err = e;
    }
    expect(isTunekitError(err, "INVALID_ARGUMENT")).toBe(true);
    expect((err as Error).message).toContain("HF_ENDPOINT");
  });

  it("messages never carry credentials", () => {
    expect(safeUrl("https://user:pw@hf.example/x?token=abc&X-Amz-Signature=s&a=1")).toBe(
      "https://hf.example/x?token=***&X-Amz-Signature=***&a=1",
    );
    expect(redactSecret("Bearer hf_abc failed (hf_abc)", "hf_abc")).toBe("Bearer *** failed (***)");
  });
});

describe("withDownloadLock", () => {
  it("serialises holders, and takes over a lock whose process died", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunekit-lock-"));
    const lock = join(dir, "x.lock");
    const order: string[] = [];
    const hold = (name: string) =>
      withDownloadLock(
        lock,
        async () => {
          order.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 50));
          order.push(`${name}-`);
        },
        { pollMs: 10 },
      );
    await Promise.all([hold("a"), hold("b")]);
    // either may win the race for the lock; what matters is that the holders never overlap
    const first = order[0] === "b+" ? "b" : "a";
    const second = first === "a" ? "b" : "a";
    expect(order).toEqual([`${first}+`, `${first}-`, `${second}+`, `${second}-`]);
    await expect(stat(lock)).rejects.toThrow();
    // a lock file left by a process that has exited (same host) is stale
    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    await writeFile(
      lock,
      JSON.stringify({ pid: Number(dead), host: hostname(), at: new Date().toISOString() }),
    );
    expect(await withDownloadLock(lock, async () => "taken", { pollMs: 10, timeoutMs: 2000 })).toBe("taken");
    // a live owner is waited for, up to the timeout
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const err = await withDownloadLock(lock, async () => "no", { pollMs: 10, timeoutMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(isTunekitError(err, "IO_ERROR")).toBe(true);
    expect(JSON.parse(await readFile(lock, "utf8")).pid).toBe(process.pid);
  });
});
