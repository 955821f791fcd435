import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * A `redis-server` started by a test on a free loopback port, in a temporary folder.
 *
 * @example
 * ```ts
 * const redis = await startRedis({ appendOnly: true });
 * try { await runSweep(redis.url); } finally { await redis.stop(); }
 * ```
 */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: nothing is saved but what the append-only file holds) and starts it again. */
  restart(): Promise<void>;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (Debian's package) on a free 127.0.0.1 port with no snapshots; with
 * `appendOnly` every write goes to an append-only file synced per write, so a restart keeps
 * everything.
 *
 * @example
 * ```ts
 * const redis = await startRedis({ appendOnly: true });
 * ```
 */
export async function startRedis(o: { readonly appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
  args.push(...(o.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));
  let server: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const launch = async (): Promise<void> => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    server = child;
    const spawnError = new Promise<never>((_, reject) => {
      child.once("error", (e) =>
        reject(
          new Error(`cannot start redis-server (${e.message}); install it: apt-get install redis-server`),
        ),
      );
    });
    await Promise.race([waitForPing(url), spawnError]);
  };
  const kill = async (): Promise<void> => {
    const child = server;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolveExit) => {
      child.once("exit", () => resolveExit());
      child.kill("SIGKILL");
    });
  };
  await launch();
  return {
    url,
    port,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`redis-server on ${url} did not answer: ${(e as Error).message}`);
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}
