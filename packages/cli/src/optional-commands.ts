import { TunekitError } from "@tunekit/core";
import type { CliCommand } from "./command.js";

/**
 * Sub-commands that live in optional packages, loaded on first use: `submit`, `worker` and
 * `jobs` come from `@tunekit/jobs` (BullMQ + Redis), which plain training does not need.
 *
 * @example
 * ```ts
 * OPTIONAL_COMMANDS.find((c) => c.name === "worker")?.from; // "@tunekit/jobs"
 * ```
 */
export const OPTIONAL_COMMANDS: readonly {
  readonly name: string;
  readonly summary: string;
  readonly from: string;
}[] = [
  {
    name: "submit",
    summary: "queue a sweep of training jobs on Redis (@tunekit/jobs)",
    from: "@tunekit/jobs",
  },
  { name: "worker", summary: "run queued training jobs from Redis (@tunekit/jobs)", from: "@tunekit/jobs" },
  {
    name: "jobs",
    summary: "status, results table or cancel of queued jobs (@tunekit/jobs)",
    from: "@tunekit/jobs",
  },
];

/**
 * Loads an optional sub-command from its package (`undefined` when `name` is none of
 * {@link OPTIONAL_COMMANDS}). A package that is not installed is `NOT_IMPLEMENTED` saying
 * what to install.
 *
 * @example
 * ```ts
 * const worker = await loadOptionalCommand("worker"); // from @tunekit/jobs
 * ```
 */
export async function loadOptionalCommand(
  name: string,
  load: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<CliCommand | undefined> {
  const entry = OPTIONAL_COMMANDS.find((c) => c.name === name);
  if (entry === undefined) return undefined;
  let mod: unknown;
  try {
    mod = await load(entry.from);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" || !String((e as Error).message).includes(entry.from)) throw e;
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `tunekit ${name} comes from the optional package ${entry.from}, which is not installed; ` +
        `install it next to the CLI (npm install ${entry.from}) and run the command again`,
      { cause: e },
    );
  }
  const commands = (mod as { JOBS_COMMANDS?: readonly CliCommand[] }).JOBS_COMMANDS ?? [];
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `${entry.from} does not provide tunekit ${name}; expected a version of it that matches this CLI (reinstall both)`,
    );
  }
  return command;
}
