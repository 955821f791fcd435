import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { downloadBlob, type HubProgress } from "./blob-download.js";
import { withDownloadLock } from "./download-lock.js";
import { HubRepoCache } from "./hub-cache.js";
import { TunekitError } from "../errors.js";
import { HubError } from "./hub-errors.js";
import { hubFileMetadata, hubFileUrl } from "./hub-request.js";
import type { HubSettings } from "./hub-settings.js";
import { formatModelRef, type HubModelRef } from "./model-ref.js";

/**
 * Options of {@link hubFile} and {@link downloadModel}.
 *
 * @example
 * ```ts
 * const o: HubDownloadOptions = { onProgress: (p) => console.error(p.file, p.received, p.total), retries: 5 };
 * ```
 */
export interface HubDownloadOptions {
  /** Download progress, per file. */
  readonly onProgress?: (p: HubProgress) => void;
  /** Transfers that end early are resumed this many times (default 3). */
  readonly retries?: number;
  /** Pause before a resume, times the attempt number (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Timeout of each metadata (`HEAD`) request (default 10 s, as `huggingface_hub`'s). */
  readonly timeoutMs?: number;
  /** A transfer that receives nothing for this long is aborted (default 60 s). */
  readonly stallTimeoutMs?: number;
}

/**
 * One file of a snapshot: its path in the cache (`snapshots/<commit>/<file>`), or
 * `path: undefined` when the repository has no such file.
 *
 * @example
 * ```ts
 * const f: HubFileResult = { commit: "a".repeat(40), path: "/cache/models--org--name/snapshots/aaaa/config.json", fromCache: false };
 * ```
 */
export interface HubFileResult {
  /** The commit the revision resolved to (undefined for a missing file the Hub named no commit for). */
  readonly commit: string | undefined;
  readonly path: string | undefined;
  /** Served from the cache without a download (offline, or the Hub could not be reached). */
  readonly fromCache: boolean;
}

/**
 * Fetches one file of a model repository into the `huggingface_hub` cache and returns its
 * snapshot path, like `hf_hub_download`: a `HEAD` on `resolve/<revision>/<file>` gives the
 * commit, ETag and size; `refs/<revision>` records the commit; a blob already in `blobs/` is
 * only linked; otherwise it is downloaded under a lock (resumable, checked). Offline
 * (`settings.offline`), or when the Hub cannot be reached or refuses access, the cached
 * file is used; a file the cache does not have then throws `HUB_OFFLINE_MISS` (offline) or
 * the original error. A file the repository does not have gives `path: undefined`.
 *
 * @example
 * ```ts
 * const { path } = await hubFile({ repoId: "org/name", revision: "main" }, "config.json", resolveHubSettings());
 * ```
 */
export async function hubFile(
  ref: HubModelRef,
  filename: string,
  settings: HubSettings,
  options: HubDownloadOptions = {},
): Promise<HubFileResult> {
  checkRepoFilename(filename);
  const cache = new HubRepoCache(settings.cacheDir, ref.repoId);
  if (settings.offline) {
    const cached = await fromCache(cache, ref, filename);
    if (cached !== undefined) return cached;
    throw offlineMiss(ref, filename, settings, cache);
  }
  const url = hubFileUrl(settings.endpoint, ref.repoId, ref.revision, filename);
  const ctx = {
    settings,
    repoId: ref.repoId,
    revision: ref.revision,
    filename,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  let meta: Awaited<ReturnType<typeof hubFileMetadata>>;
  try {
    meta = await hubFileMetadata(url, ctx);
  } catch (e) {
    // like huggingface_hub: a network failure or a refused request falls back to the cache
    if (
      e instanceof HubError &&
      (e.code === "HUB_NETWORK" || e.code === "HUB_UNAUTHORIZED" || e.code === "HUB_BAD_RESPONSE")
    ) {
      const cached = await fromCache(cache, ref, filename);
      if (cached !== undefined) return cached;
    }
    throw e;
  }
  if ("missing" in meta) {
    if (meta.commit !== undefined) {
      await cache.markMissing(meta.commit, filename).catch(() => undefined);
      await cache.writeRef(ref.revision, meta.commit);
    }
    return { commit: meta.commit, path: undefined, fromCache: false };
  }
  await cache.writeRef(ref.revision, meta.commit);
  if (await cache.hasFile(meta.commit, filename))
    return { commit: meta.commit, path: cache.pointer(meta.commit, filename), fromCache: false };
  const blob = cache.blob(meta.etag);
  if (!(await exists(blob))) {
    const lock = join(cache.locks, `${meta.etag}.tunekit.lock`);
    const incomplete = `${blob}.incomplete`;
    await mkdir(dirname(blob), { recursive: true });
    await withDownloadLock(
      lock,
      async () => {
        if (await exists(blob)) return; // another process finished it while we waited
        await downloadBlob(
          {
            url: meta.location,
            incomplete,
            destination: blob,
            size: meta.size,
            etag: meta.etag,
            repoId: ref.repoId,
            revision: ref.revision,
            file: filename,
            ...(options.retries === undefined ? {} : { retries: options.retries }),
            ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
            ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
          },
          settings,
        );
      },
      { watch: incomplete },
    );
  }
  return { commit: meta.commit, path: await cache.link(meta.commit, filename, meta.etag), fromCache: false };
}

async function fromCache(
  cache: HubRepoCache,
  ref: HubModelRef,
  filename: string,
): Promise<HubFileResult | undefined> {
  const commit = await cache.commitOf(ref.revision);
  if (commit === undefined) return undefined;
  if (await cache.hasFile(commit, filename))
    return { commit, path: cache.pointer(commit, filename), fromCache: true };
  if (await cache.knownMissing(commit, filename)) return { commit, path: undefined, fromCache: true };
  return undefined;
}

/**
 * The `HUB_OFFLINE_MISS` error: offline mode and the cache lacks a file.
 *
 * @example
 * ```ts
 * throw offlineMiss({ repoId: "org/name", revision: "main" }, "config.json", settings, new HubRepoCache(settings.cacheDir, "org/name"));
 * ```
 */
export function offlineMiss(
  ref: HubModelRef,
  filename: string,
  settings: HubSettings,
  cache: HubRepoCache,
): HubError {
  return new HubError(
    "HUB_OFFLINE_MISS",
    `HF_HUB_OFFLINE is set and ${formatModelRef(ref)} has no ${filename} in the cache ${cache.folder} ` +
      `(revision ${JSON.stringify(ref.revision)}); run once with network access (unset HF_HUB_OFFLINE) to download it, ` +
      "or point HF_HOME / HF_HUB_CACHE at the cache that has it",
    { details: { cacheDir: settings.cacheDir, repoId: ref.repoId, revision: ref.revision, file: filename } },
  );
}

/**
 * Throws `INVALID_ARGUMENT` unless `filename` is a relative file path inside a repository (no
 * `..`, `.`, empty or absolute parts, no `\\`): it becomes a path in the cache.
 *
 * @example
 * ```ts
 * checkRepoFilename("onnx/model.onnx"); // fine
 * ```
 */
export function checkRepoFilename(filename: string): void {
  if (
    filename === "" ||
    filename.length > 1000 ||
    filename.includes("\\") ||
    filename.includes("\0") ||
    filename.split("/").some((s) => s === "" || s === "." || s === "..")
  ) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${JSON.stringify(filename.slice(0, 200))} is not a file name inside a repository; expected a relative path such as "config.json" or "onnx/model.onnx"`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}
