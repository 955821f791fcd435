import { type CommandContext, stringFlag } from "@tunekit/cli";

/**
 * Redis URL used when neither `--redis` nor `TUNEKIT_REDIS` gives one.
 *
 * @example
 * ```ts
 * DEFAULT_REDIS_URL; // "redis://127.0.0.1:6379"
 * ```
 */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/**
 * Help lines of the `--redis` and `--queue` flags.
 *
 * @example
 * ```ts
 * const help = ["options:", ...REDIS_HELP];
 * ```
 */
export const REDIS_HELP = [
  "  --redis URL      Redis server (default: $TUNEKIT_REDIS, else redis://127.0.0.1:6379)",
  "  --queue NAME     queue name (default tunekit)",
];

/**
 * The Redis URL of a command: `--redis`, else `TUNEKIT_REDIS`, else {@link DEFAULT_REDIS_URL}.
 *
 * @example
 * ```ts
 * const connection = await openRedis(redisFlag(ctx));
 * ```
 */
export function redisFlag(ctx: CommandContext): string {
  return stringFlag(ctx, "redis") ?? (process.env.TUNEKIT_REDIS || DEFAULT_REDIS_URL);
}
