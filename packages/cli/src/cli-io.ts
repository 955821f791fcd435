/**
 * Where the CLI writes and how it renders: injected so tests capture the output.
 *
 * @example
 * ```ts
 * let out = "";
 * const io: CliIo = { stdout: (s) => { out += s; }, stderr: () => {}, isTTY: false, cwd: process.cwd() };
 * ```
 */
export interface CliIo {
  /** Results (tables, or the one JSON object with `--json`). */
  readonly stdout: (text: string) => void;
  /** Progress, notices, warnings and errors. */
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (animated progress bar instead of log lines). */
  readonly isTTY: boolean;
  /** Folder relative paths on the command line resolve against. */
  readonly cwd: string;
  /** Terminal width (default 80). */
  readonly columns?: number;
  /** Milliseconds clock (default `performance.now`), for tests of throttled rendering. */
  readonly now?: () => number;
}

/**
 * The {@link CliIo} of the running process.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    columns: process.stderr.columns || 80,
  };
}
