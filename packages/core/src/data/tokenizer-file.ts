import { existsSync } from "node:fs";
import { isTunekitError, TunekitError } from "../errors.js";
import { readRegularFile } from "../io/read-regular-file.js";

/** Largest tokenizer file read (512 MiB). */
const MAX_TOKENIZER_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads a tokenizer JSON file (`tokenizer.json`, `tokenizer_config.json`): a regular file of
 * at most 512 MiB holding UTF-8 JSON. A missing optional file gives `undefined`; one that
 * exists but cannot be read (a directory, a link to a device) is `IO_ERROR`; bad UTF-8 or
 * JSON is `TOKENIZER_INVALID`.
 *
 * @example
 * ```ts
 * const config = (await readTokenizerJsonFile("tok/tokenizer_config.json", false)) ?? {};
 * ```
 */
export async function readTokenizerJsonFile(file: string, required: boolean): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file, {
      what: "tokenizer file",
      maxBytes: MAX_TOKENIZER_FILE_BYTES,
      tooLargeCode: "TOKENIZER_INVALID",
    });
  } catch (e) {
    // An optional file that is missing is fine; one that exists but is not a readable
    // regular file (a directory, a link to a device) is still an error.
    if (!required && isTunekitError(e, "IO_ERROR") && !existsSync(file)) return undefined;
    throw e;
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new TunekitError(
      "TOKENIZER_INVALID",
      `${file}: not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`,
      { cause: e },
    );
  }
}
