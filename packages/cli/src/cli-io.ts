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
  /** All of standard input as text (`predict --input -`; default: the process's stdin). */
  readonly readStdin?: () => Promise<string>;
}

/**
 * The {@link CliIo} of the running process. Its writers never throw (see {@link safeWriter}):
 * a closed pipe (`tunekit train … | head`) or a closed stderr must not end a training run.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: safeWriter(process.stdout),
    stderr: safeWriter(process.stderr),
    isTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    columns: process.stderr.columns || 80,
  };
}

/**
 * A writer for `stream` that never throws and never lets the stream's `error` event crash
 * the process: after a failed write (EPIPE when the reader of a pipe went away, EBADF for a
 * closed descriptor, or any other error, thrown or emitted) it drops further output
 * silently. Training goes on and its files are written; only the log is lost.
 *
 * @example
 * ```ts
 * const log = safeWriter(process.stderr);
 * log("step 10/500\n"); // fine even after `| head -1` has exited
 * ```
 */
export function safeWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  return (text) => {
    if (closed) return;
    try {
      stream.write(text);
    } catch {
      closed = true;
    }
  };
}
