import { TunekitError } from "@tunekit/core";
import { Redis } from "ioredis";

/**
 * Name of the BullMQ queue the sweep commands use unless `--queue` names another.
 *
 * @example
 * ```ts
 * new Queue(DEFAULT_QUEUE, { connection }); // "tunekit"
 * ```
 */
export const DEFAULT_QUEUE = "tunekit";

/**
 * Opens an ioredis connection for BullMQ (`maxRetriesPerRequest: null`, so commands wait
 * through a Redis restart instead of failing) and waits until it is ready. A URL that is not
 * `redis://` / `rediss://` is `CONFIG_INVALID`; a server that does not answer within
 * `timeoutMs` is `IO_ERROR` naming the URL.
 *
 * @example
 * ```ts
 * const connection = await openRedis("redis://127.0.0.1:6379");
 * const queue = new Queue(DEFAULT_QUEUE, { connection });
 * ```
 */
export async function openRedis(url: string, o: { readonly timeoutMs?: number } = {}): Promise<Redis> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `--redis is ${JSON.stringify(url)}; expected a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS, redis://:PASSWORD@host:6379/0)`,
    );
  }
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  let lastError = "";
  redis.on("error", (e: Error) => {
    lastError = e.message; // ioredis reconnects by itself; keep the reason for the timeout message
  });
  const timeoutMs = o.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
      }),
    ]);
  } catch (e) {
    redis.disconnect();
    throw new TunekitError(
      "IO_ERROR",
      `cannot reach Redis at ${redactUrl(url)} within ${timeoutMs / 1000}s (${lastError || (e as Error).message}); ` +
        "start redis-server (Debian: apt-get install redis-server) or pass the right --redis URL",
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/**
 * A Redis URL with its password replaced by `***`, for messages and logs.
 *
 * @example
 * ```ts
 * redactUrl("redis://:secret@db:6379/0"); // "redis://:***@db:6379/0"
 * ```
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
