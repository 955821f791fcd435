import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, stat, truncate, unlink } from "node:fs/promises";
import { HubError, safeUrl } from "./hub-errors.js";
import { hubFetch, hubHeaders, networkError, statusError } from "./hub-request.js";
import type { HubSettings } from "./hub-settings.js";

/**
 * Download progress of one file, for a progress bar (core never prints).
 *
 * @example
 * ```ts
 * const onProgress = (p: HubProgress) => console.error(`${p.file} ${p.received}/${p.total}`);
 * ```
 */
export interface HubProgress {
  readonly repoId: string;
  readonly file: string;
  /** Bytes on disk so far, including a resumed part. */
  readonly received: number;
  /** The file's size, as the Hub announced it. */
  readonly total: number;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  readonly resumedFrom: number;
  /** True on the last call for this file. */
  readonly done: boolean;
}

/**
 * What {@link downloadBlob} needs: the URL, where the partial and final files go, what the
 * Hub announced, and how persistent to be.
 *
 * @example
 * ```ts
 * const job: BlobDownload = { url, incomplete: blob + ".incomplete", destination: blob, size: 1024, etag, repoId: "org/name", file: "model.safetensors" };
 * ```
 */
export interface BlobDownload {
  readonly url: string;
  readonly incomplete: string;
  readonly destination: string;
  readonly size: number;
  /** A 64-hex-digit ETag is the LFS file's sha256, checked after the download. */
  readonly etag: string;
  readonly repoId: string;
  readonly revision: string;
  readonly file: string;
  /** Transfers that end early are resumed this many times before `HUB_TRUNCATED` (default 3). */
  readonly retries?: number;
  /** Pause before a resume, times the attempt number (default 500 ms). */
  readonly retryDelayMs?: number;
  /** A transfer that receives nothing for this long is aborted (default 60 s). */
  readonly stallTimeoutMs?: number;
  readonly onProgress?: (p: HubProgress) => void;
}

/**
 * A 64-hex-digit ETag: the sha256 of an LFS file.
 *
 * @example
 * ```ts
 * SHA256_ETAG.test(etag); // true for LFS files: their download is checked against it
 * ```
 */
export const SHA256_ETAG = /^[0-9a-f]{64}$/;

/**
 * Downloads a blob to `incomplete` and renames it to `destination` once complete: resumes
 * what an earlier run left in `incomplete` with a `Range` request, follows redirects (the
 * token only goes to the endpoint's host), resumes transfers that end early up to `retries`
 * times, checks the size and, for LFS files, the sha256 in the ETag, and renames atomically.
 * Throws `HUB_TRUNCATED` (the partial file is kept for the next run), `HUB_INTEGRITY`
 * (the partial file is deleted), `HUB_NETWORK` or the status errors of the request.
 *
 * @example
 * ```ts
 * await downloadBlob({ ...job, onProgress: (p) => bar.update(p) }, settings);
 * ```
 */
export async function downloadBlob(job: BlobDownload, settings: HubSettings): Promise<void> {
  const retries = job.retries ?? 3;
  let lastError: HubError | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, (job.retryDelayMs ?? 500) * attempt));
    try {
      await transfer(job, settings);
      lastError = undefined;
      break;
    } catch (e) {
      if (!(e instanceof HubError) || (e.code !== "HUB_TRUNCATED" && e.code !== "HUB_NETWORK")) throw e;
      lastError = e;
    }
  }
  if (lastError !== undefined) throw lastError;
  const size = (await stat(job.incomplete)).size;
  if (size !== job.size) {
    await unlink(job.incomplete).catch(() => undefined);
    throw new HubError(
      "HUB_INTEGRITY",
      `${job.repoId}/${job.file}: downloaded ${size} bytes, the Hub announced ${job.size}; the partial file was deleted, run again to download it afresh`,
      { url: safeUrl(job.url) },
    );
  }
  if (SHA256_ETAG.test(job.etag)) {
    const digest = await sha256File(job.incomplete);
    if (digest !== job.etag) {
      await unlink(job.incomplete).catch(() => undefined);
      throw new HubError(
        "HUB_INTEGRITY",
        `${job.repoId}/${job.file}: the download's sha256 is ${digest}, the Hub's ETag says ${job.etag}; the file was deleted, run again (a proxy may have altered it)`,
        { url: safeUrl(job.url) },
      );
    }
  }
  await rename(job.incomplete, job.destination);
}

/** One GET (with redirects) appended to the partial file. */
async function transfer(job: BlobDownload, settings: HubSettings): Promise<void> {
  let offset = (await stat(job.incomplete).catch(() => undefined))?.size ?? 0;
  if (offset > job.size) {
    await truncate(job.incomplete, 0);
    offset = 0;
  }
  if (offset === job.size && job.size > 0) return;
  const resumedFrom = offset;
  const controller = new AbortController();
  const stallMs = job.stallTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), stallMs);
  const progress = (received: number, done: boolean): void =>
    job.onProgress?.({ repoId: job.repoId, file: job.file, received, total: job.size, resumedFrom, done });
  let url = job.url;
  try {
    let res: Response | undefined;
    for (let hop = 0; hop <= 10; hop++) {
      const headers = hubHeaders(url, settings);
      if (offset > 0) headers.range = `bytes=${offset}-`;
      res = await hubFetch(url, { method: "GET", headers }, controller.signal);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || location === null) break;
      await res.body?.cancel().catch(() => undefined);
      url = new URL(location, url).toString();
      res = undefined;
    }
    if (res === undefined)
      throw new HubError("HUB_BAD_RESPONSE", `${safeUrl(job.url)} redirects more than 10 times`, {
        url: safeUrl(job.url),
      });
    if (res.status === 416 && offset > 0) {
      // the partial file does not fit the server's: start again
      await res.body?.cancel().catch(() => undefined);
      await truncate(job.incomplete, 0);
      throw new HubError(
        "HUB_TRUNCATED",
        `${safeUrl(url)} refused to resume at byte ${offset}; starting again`,
        { url: safeUrl(url), status: 416 },
      );
    }
    if (res.status >= 400) {
      await res.body?.cancel().catch(() => undefined);
      throw statusError(res.status, res.headers.get("x-error-code"), url, {
        settings,
        repoId: job.repoId,
        revision: job.revision,
        filename: job.file,
        timeoutMs: stallMs,
      });
    }
    const resumed = res.status === 206 && contentRangeStart(res.headers.get("content-range")) === offset;
    if (res.status === 206 && !resumed) {
      await res.body?.cancel().catch(() => undefined);
      await truncate(job.incomplete, 0).catch(() => undefined);
      throw new HubError(
        "HUB_TRUNCATED",
        `${safeUrl(url)} answered a range other than bytes ${offset}-; starting again`,
        { url: safeUrl(url), status: 206 },
      );
    }
    if (!resumed) offset = 0;
    const handle = await open(job.incomplete, resumed ? "a" : "w");
    let received = offset;
    try {
      progress(received, false);
      if (res.body !== null) {
        const reader = res.body.getReader();
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (e) {
            throw truncated(job, url, received, e, controller.signal.aborted);
          }
          if (chunk.done) break;
          clearTimeout(timer);
          timer = setTimeout(() => controller.abort(), stallMs);
          received += chunk.value.byteLength;
          if (received > job.size) {
            controller.abort();
            await handle.truncate(0);
            throw new HubError(
              "HUB_INTEGRITY",
              `${safeUrl(url)} sent more than the ${job.size} bytes the Hub announced for ${job.repoId}/${job.file}; the partial file was emptied, run again`,
              { url: safeUrl(url) },
            );
          }
          await handle.write(chunk.value);
          progress(received, false);
        }
      }
    } finally {
      await handle.close();
    }
    if (received < job.size) throw truncated(job, url, received, undefined, false);
    progress(received, true);
  } catch (e) {
    if (e instanceof HubError) throw e;
    throw networkError(url, e);
  } finally {
    clearTimeout(timer);
  }
}

function truncated(
  job: BlobDownload,
  url: string,
  received: number,
  cause: unknown,
  stalled: boolean,
): HubError {
  return new HubError(
    "HUB_TRUNCATED",
    `${safeUrl(url)}: the transfer of ${job.repoId}/${job.file} ended after ${received} of ${job.size} bytes` +
      `${stalled ? " (nothing arrived for too long)" : ""}; run again to resume from ${job.incomplete}`,
    { url: safeUrl(url), cause, details: { received, size: job.size } },
  );
}

function contentRangeStart(header: string | null): number | undefined {
  const m = header === null ? null : /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header.trim());
  return m === null ? undefined : Number(m[1]);
}

/**
 * The sha256 of a file, as lowercase hex.
 *
 * @example
 * ```ts
 * await sha256File("blobs/abc.incomplete"); // "e3b0c442..."
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
