import type { CliCommand } from "@tunekit/cli";
import { jobsCommand } from "./jobs.js";
import { submitCommand } from "./submit.js";
import { workerCommand } from "./worker.js";

/**
 * The `tunekit` sub-commands this package adds: `submit`, `worker` and `jobs`. The CLI loads
 * them on first use when `@tunekit/jobs` is installed.
 *
 * @example
 * ```ts
 * JOBS_COMMANDS.map((c) => c.name); // ["submit", "worker", "jobs"]
 * ```
 */
export const JOBS_COMMANDS: readonly CliCommand[] = [submitCommand, workerCommand, jobsCommand];
