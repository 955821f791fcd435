import { TunekitError } from "@tunekit/core";

const REASONS: Readonly<Record<string, string>> = {
  EROFS: "it is on a read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "a file of that name exists where a folder is expected",
};

/**
 * The `OUTPUT_NOT_WRITABLE` error for an output folder that a file system call on it
 * failed with `cause`: names the folder, the reason in words (read-only, permission, disk
 * full, ...) with the system code, and how to fix it.
 *
 * @example
 * ```ts
 * try { await mkdir(dir, { recursive: true }); } catch (e) { throw outputNotWritable(dir, e); }
 * ```
 */
export function outputNotWritable(dir: string, cause: unknown): TunekitError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (code !== undefined && REASONS[code]) || (cause instanceof Error ? cause.message : String(cause));
  return new TunekitError(
    "OUTPUT_NOT_WRITABLE",
    `the output folder ${dir} cannot be written: ${reason}${code ? ` (${code})` : ""}; expected a writable folder ` +
      "(checked before training). Pass another --output, or fix the folder's permissions or free space",
    { cause, details: { dir, ...(code === undefined ? {} : { errno: code }) } },
  );
}
