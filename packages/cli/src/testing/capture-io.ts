import type { CliIo } from "../cli-io.js";

/**
 * A {@link CliIo} that records stdout and stderr, for tests of `runCli`.
 *
 * @example
 * ```ts
 * const io = captureIo();
 * await runCli(["--help"], io);
 * io.out(); // the help text
 * ```
 */
export function captureIo(
  options: { readonly isTTY?: boolean; readonly cwd?: string; readonly now?: () => number } = {},
): CliIo & {
  out(): string;
  err(): string;
} {
  let out = "";
  let err = "";
  return {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: options.isTTY ?? false,
    cwd: options.cwd ?? process.cwd(),
    columns: 100,
    ...(options.now === undefined ? {} : { now: options.now }),
    out: () => out,
    err: () => err,
  };
}
