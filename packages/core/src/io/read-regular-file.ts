import { readFile, stat } from "node:fs/promises";
import { type TunekitErrorCode, TunekitError } from "../errors.js";

/**
 * The most bytes Node reads into one buffer (`readFile` throws a `RangeError` beyond it).
 *
 * @example
 * ```ts
 * READ_FILE_MAX_BYTES; // 2147483647
 * ```
 */
export const READ_FILE_MAX_BYTES = 2 ** 31 - 1;

/**
 * Reads a whole file after checking that it is a regular file (symbolic links followed) of at
 * most `maxBytes` bytes. A device, FIFO or directory (e.g. a `config.json` that is a link
 * to `/dev/zero`, which `readFile` would read forever) is an `IO_ERROR`, like a missing
 * file; an oversized file throws `tooLargeCode` (default `IO_ERROR`). Messages start with
 * `what` and the path.
 *
 * @example
 * ```ts
 * const bytes = await readRegularFile("model/config.json", { what: "config", maxBytes: 64 << 20 });
 * ```
 */
export async function readRegularFile(
  path: string,
  options: { readonly what: string; readonly maxBytes?: number; readonly tooLargeCode?: TunekitErrorCode },
): Promise<Uint8Array> {
  const maxBytes = Math.min(options.maxBytes ?? READ_FILE_MAX_BYTES, READ_FILE_MAX_BYTES);
  const ioError = (reason: string, cause?: unknown): TunekitError =>
    new TunekitError("IO_ERROR", `could not read ${options.what} ${path}: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { path },
    });
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) {
      throw ioError(
        `it is ${s.isDirectory() ? "a directory" : "not a regular file (a device, FIFO or socket)"}; expected a file`,
      );
    }
    size = s.size;
  } catch (e) {
    if (e instanceof TunekitError) throw e;
    throw ioError(e instanceof Error ? e.message : String(e), e);
  }
  if (size > maxBytes) {
    throw new TunekitError(
      options.tooLargeCode ?? "IO_ERROR",
      `${options.what} ${path} is ${size} bytes, more than the ${maxBytes}-byte limit; ` +
        "is it the right file? (Split or convert it if it really is this large)",
      { details: { path, size, maxBytes } },
    );
  }
  try {
    return await readFile(path);
  } catch (e) {
    throw ioError(e instanceof Error ? e.message : String(e), e);
  }
}
