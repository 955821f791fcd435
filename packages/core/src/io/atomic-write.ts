import { randomUUID } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { TunekitError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: the bytes go to a temporary file in the same folder,
 * are flushed to disk, and the temporary file is then renamed over `path`. Readers see either
 * the old file or the complete new one, never a partial write. Failures throw
 * `TunekitError("IO_ERROR")` and leave no temporary file behind.
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/model.safetensors", bytes);
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new TunekitError(
      "IO_ERROR",
      `could not write ${path}: ${reason}; check that the folder exists and is writable`,
      { cause: e, details: { path } },
    );
  }
}
