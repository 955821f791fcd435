import { type TunekitErrorCode, TunekitError } from "../errors.js";
import { readRegularFile } from "./read-regular-file.js";

/**
 * Options of {@link readJsonFile} and {@link readJsonFileText}.
 *
 * @example
 * ```ts
 * const o: ReadJsonFileOptions = { what: "model config", maxBytes: 1 << 20, invalidCode: "CONFIG_INVALID" };
 * ```
 */
export interface ReadJsonFileOptions {
  /** What the file is, for messages ("model config", "tokenizer file"). */
  readonly what: string;
  /** Largest accepted size in bytes (a larger file is `invalidCode`). */
  readonly maxBytes: number;
  /** Code for an oversized file, bad UTF-8 or bad JSON. */
  readonly invalidCode: TunekitErrorCode;
  /** Code for a missing or unreadable file (default `IO_ERROR`). */
  readonly unreadableCode?: TunekitErrorCode;
  /** Appended to the missing/unreadable message, e.g. `"; is out/ a model folder?"`. */
  readonly unreadableHint?: string;
  /** Appended to the invalid-JSON message, e.g. how the file is normally written. */
  readonly invalidHint?: string;
  /** A missing file gives `undefined` (one that exists but cannot be read is still an error). */
  readonly optional?: boolean;
  /** Drop a leading UTF-8 byte order mark instead of reporting it (default false: JSON forbids it). */
  readonly allowByteOrderMark?: boolean;
}

/**
 * The text of a JSON file read defensively: a regular file only (a link to `/dev/zero` is
 * refused, nothing hangs), at most `maxBytes`, strict UTF-8. Errors name the file and say
 * what was expected.
 *
 * @example
 * ```ts
 * const text = await readJsonFileText("adapter/adapter_config.json", { what: "adapter config", maxBytes: 1 << 20, invalidCode: "CONFIG_INVALID" });
 * ```
 */
export async function readJsonFileText(path: string, o: ReadJsonFileOptions): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { what: o.what, maxBytes: o.maxBytes, tooLargeCode: o.invalidCode });
  } catch (e) {
    if (!(e instanceof TunekitError) || e.code !== "IO_ERROR") throw e;
    if (o.optional && (e.cause as { code?: string } | undefined)?.code === "ENOENT") return undefined;
    throw new TunekitError(o.unreadableCode ?? "IO_ERROR", `${e.message}${o.unreadableHint ?? ""}`, {
      cause: e,
      details: { file: path },
    });
  }
  try {
    // ignoreBOM: true keeps a byte order mark in the text so the JSON error can point at it
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: o.allowByteOrderMark !== true }).decode(bytes);
  } catch (e) {
    throw new TunekitError(
      o.invalidCode,
      `${path}: not valid UTF-8 text; a ${o.what} must be UTF-8 JSON (re-save it as UTF-8)`,
      { cause: e, details: { file: path } },
    );
  }
}

/**
 * {@link readJsonFileText}, parsed. Invalid JSON is `invalidCode` naming the file and the
 * parser's reason (and a leading byte order mark, which JSON does not allow).
 *
 * @example
 * ```ts
 * const json = await readJsonFile("model/config.json", { what: "model config", maxBytes: 1 << 20, invalidCode: "CONFIG_INVALID" });
 * ```
 */
export async function readJsonFile(path: string, o: ReadJsonFileOptions): Promise<unknown> {
  const text = await readJsonFileText(path, o);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    const bom =
      text.charCodeAt(0) === 0xfeff ? "; it starts with a byte order mark (BOM): save it without one" : "";
    throw new TunekitError(
      o.invalidCode,
      `${path} is not valid JSON (${e instanceof Error ? e.message : String(e)})${bom}${o.invalidHint ?? ""}`,
      { cause: e, details: { file: path } },
    );
  }
}
