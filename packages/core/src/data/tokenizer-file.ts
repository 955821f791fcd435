import { readJsonFile } from "../io/read-json-file.js";

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
  return readJsonFile(file, {
    what: "tokenizer file",
    maxBytes: MAX_TOKENIZER_FILE_BYTES,
    invalidCode: "TOKENIZER_INVALID",
    optional: !required,
    allowByteOrderMark: true,
  });
}
