import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { TunekitError } from "../errors.js";
import { type DownloadModelOptions, downloadModel } from "./download-model.js";
import { HubError, type HubErrorCode } from "./hub-errors.js";
import { hubReferenceOf, looksLikePath, parseModelRef } from "./model-ref.js";

/**
 * Options of {@link resolveModel}: where relative paths resolve (default the working
 * directory) and the download options.
 *
 * @example
 * ```ts
 * const o: ResolveModelOptions = { baseDir: "/repo/examples", weights: false };
 * ```
 */
export interface ResolveModelOptions extends DownloadModelOptions {
  readonly baseDir?: string;
}

/**
 * Turns a model argument into a local folder. A path that exists (resolved against
 * `baseDir`) is used as it is; otherwise `name` / `org/name` with an optional `@revision` is
 * downloaded from the Hub ({@link downloadModel}) and its cache snapshot folder returned.
 * Anything that looks like a path (`./x`, `/x`, `~/x`, `a/b/c`) is never sent to the Hub: it
 * is `IO_ERROR` when missing.
 *
 * @example
 * ```ts
 * const folder = await resolveModel("BAAI/bge-small-en-v1.5@main", { onProgress: (p) => bar(p) });
 * const local = await resolveModel("models/my-bert"); // an existing folder: unchanged (absolute)
 * ```
 */
export async function resolveModel(reference: string, options: ResolveModelOptions = {}): Promise<string> {
  const base = options.baseDir ?? process.cwd();
  const local = isAbsolute(reference) ? reference : resolve(base, reference);
  const exists = (await stat(local).catch(() => undefined)) !== undefined;
  const ref = hubReferenceOf(reference, exists);
  if (ref !== undefined) {
    try {
      return (await downloadModel(ref, options)).folder;
    } catch (e) {
      throw withNoLocalFolder(e, local);
    }
  }
  if (exists) return local;
  let why =
    "it looks like a path (it starts with '.', '/' or '~', has more than one '/', or ends in .json / .yaml)";
  if (!looksLikePath(reference)) {
    try {
      parseModelRef(reference);
    } catch (e) {
      why = (e as Error).message;
    }
  }
  throw new TunekitError(
    "IO_ERROR",
    `${local} does not exist, and ${JSON.stringify(reference)} is not read as a Hugging Face model name: ${why}. Pass an existing model folder, or "name" / "org/name[@revision]" to download from the Hub`,
    { details: { path: local } },
  );
}

/**
 * A failed Hub download of a name that might have been meant as a local folder: the same
 * {@link HubError} with "there is no local folder <path> either" added to its message.
 *
 * @example
 * ```ts
 * try { await downloadModel(ref); } catch (e) { throw withNoLocalFolder(e, "/home/me/models/bert"); }
 * ```
 */
export function withNoLocalFolder(e: unknown, local: string): unknown {
  if (!(e instanceof HubError) || !["HUB_NOT_FOUND", "HUB_UNAUTHORIZED", "HUB_OFFLINE_MISS"].includes(e.code))
    return e;
  return new HubError(
    e.code as HubErrorCode,
    `${e.message} (and there is no local folder ${local}; a path starting with ./ is never looked up on the Hub)`,
    {
      ...(e.url === undefined ? {} : { url: e.url }),
      ...(e.status === undefined ? {} : { status: e.status }),
      cause: e,
    },
  );
}
