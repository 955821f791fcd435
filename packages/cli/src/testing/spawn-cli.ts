import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./small-run.js";

/**
 * Runs `tunekit` from its TypeScript sources in a child process (cwd: the repository root;
 * stdout and stderr piped), for tests that need a real process: signals, closed pipes.
 *
 * @example
 * ```ts
 * const child = spawnCli(["train", "examples/sst2-tiny.json", "--max-steps", "5"]);
 * child.kill("SIGINT");
 * ```
 */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@tunekit/source", join(REPO, "packages/cli/src/bin.ts"), ...args],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env },
  );
}
