import { HubError, safeUrl } from "./hub-errors.js";
import type { HubSettings } from "./hub-settings.js";

/**
 * What a `HEAD` on `resolve/<revision>/<file>` says about a file, as `huggingface_hub` reads
 * it: the commit (`X-Repo-Commit`), the ETag (`X-Linked-Etag` for LFS files: their sha256,
 * else `ETag`; quotes and `W/` removed), the size (`X-Linked-Size`, else `Content-Length`)
 * and where to download it (the redirect target for LFS files, e.g. a CDN).
 *
 * @example
 * ```ts
 * const m: HubFileMetadata = { commit: "a".repeat(40), etag: "b".repeat(64), size: 1024, location: "https://cdn.example/x" };
 * ```
 */
export interface HubFileMetadata {
  readonly commit: string;
  readonly etag: string;
  readonly size: number;
  readonly location: string;
}

/** Where a request goes and what it is for, to word errors. */
interface RequestContext {
  readonly settings: HubSettings;
  readonly repoId: string;
  readonly revision: string;
  readonly filename: string;
  readonly timeoutMs: number;
}

/**
 * The URL of a file: `{endpoint}/{repo}/resolve/{revision}/{file}` (revision and path
 * segments percent-encoded, as the Hub expects `refs%2Fpr%2F1`).
 *
 * @example
 * ```ts
 * hubFileUrl("https://huggingface.co", "org/name", "main", "config.json"); // "https://huggingface.co/org/name/resolve/main/config.json"
 * ```
 */
export function hubFileUrl(endpoint: string, repoId: string, revision: string, filename: string): string {
  const file = filename.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/**
 * Headers for a request to `url`: the bearer token only when `url` is on the endpoint's own
 * host (a redirect to a CDN or any other host never receives it).
 *
 * @example
 * ```ts
 * hubHeaders("https://cdn.example/blob", settings); // no Authorization
 * ```
 */
export function hubHeaders(url: string, settings: HubSettings): Record<string, string> {
  const headers: Record<string, string> = { "accept-encoding": "identity", "user-agent": "tunekit" };
  if (settings.token !== undefined && sameHost(url, settings.endpoint))
    headers.authorization = `Bearer ${settings.token}`;
  return headers;
}

function sameHost(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.protocol === y.protocol && x.host === y.host;
  } catch {
    return false;
  }
}

/**
 * `fetch` with network failures turned into `HUB_NETWORK` naming the URL (without
 * credentials) and what to do.
 *
 * @example
 * ```ts
 * const res = await hubFetch("https://huggingface.co/org/name/resolve/main/config.json", { method: "HEAD" }, AbortSignal.timeout(10_000));
 * ```
 */
export async function hubFetch(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "manual", ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    throw networkError(url, e);
  }
}

/**
 * The `HUB_NETWORK` error for a request to `url` that failed without an answer.
 *
 * @example
 * ```ts
 * throw networkError("https://huggingface.co/x", new Error("ECONNREFUSED"));
 * ```
 */
export function networkError(url: string, e: unknown): HubError {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  const why =
    (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError"
      ? "no answer in time"
      : typeof cause?.code === "string"
        ? cause.code
        : (e as Error).message;
  return new HubError(
    "HUB_NETWORK",
    `could not reach ${safeUrl(url)} (${why}); check the network, proxy and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use files already in the cache`,
    { url: safeUrl(url), cause: e },
  );
}

/**
 * Asks for a file's {@link HubFileMetadata} with `HEAD`, following relative redirects (a
 * renamed repository) but not absolute ones (the LFS redirect: its target is returned as
 * `location`). Returns `{ missing: true, commit }` for a file the repository does not have
 * (`404` with `X-Error-Code: EntryNotFound`, or a plain 404 from a mirror); throws
 * {@link HubError}s for the rest.
 *
 * @example
 * ```ts
 * const meta = await hubFileMetadata(url, { settings, repoId: "org/name", revision: "main", filename: "config.json", timeoutMs: 10_000 });
 * ```
 */
export async function hubFileMetadata(
  url: string,
  ctx: RequestContext,
): Promise<HubFileMetadata | { readonly missing: true; readonly commit: string | undefined }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await hubFetch(
      current,
      { method: "HEAD", headers: hubHeaders(current, ctx.settings) },
      AbortSignal.timeout(ctx.timeoutMs),
    );
    const location = res.headers.get("location");
    if (
      res.status >= 300 &&
      res.status < 400 &&
      location !== null &&
      !/^[a-z][a-z0-9+.-]*:\/\//i.test(location)
    ) {
      current = new URL(location, current).toString(); // relative: same host, keep going
      continue;
    }
    if (res.status >= 400) {
      const code = res.headers.get("x-error-code");
      if (res.status === 404 && (code === null || code === "EntryNotFound"))
        return { missing: true, commit: res.headers.get("x-repo-commit") ?? undefined };
      throw statusError(res.status, code, current, ctx);
    }
    const commit = res.headers.get("x-repo-commit");
    const etag = normalizeEtag(res.headers.get("x-linked-etag") ?? res.headers.get("etag"));
    const sizeText = res.headers.get("x-linked-size") ?? res.headers.get("content-length");
    const size = sizeText === null ? Number.NaN : Number(sizeText);
    if (
      commit === null ||
      !/^[0-9a-f]{40}$/.test(commit) ||
      etag === undefined ||
      !Number.isSafeInteger(size) ||
      size < 0
    ) {
      throw new HubError(
        "HUB_BAD_RESPONSE",
        `${safeUrl(current)} answered ${res.status} without a commit hash (X-Repo-Commit), an ETag or a size; ` +
          `got X-Repo-Commit ${JSON.stringify(commit)}, ETag ${JSON.stringify(etag ?? null)}, size ${JSON.stringify(sizeText)}. ` +
          "Is HF_ENDPOINT a Hugging Face Hub (or mirror) URL? A proxy or firewall may also answer instead of the Hub",
        { url: safeUrl(current), status: res.status },
      );
    }
    const target = res.status >= 300 && res.status < 400 && location !== null ? location : current;
    return { commit, etag, size, location: target };
  }
  throw new HubError("HUB_BAD_RESPONSE", `${safeUrl(url)} redirects more than 10 times; check HF_ENDPOINT`, {
    url: safeUrl(url),
  });
}

/**
 * `ETag` as a file name: without `W/` and quotes (`huggingface_hub`'s normalisation).
 *
 * @example
 * ```ts
 * normalizeEtag('W/"abc"'); // "abc"
 * ```
 */
export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  const v = etag.replace(/^W\//, "").replace(/^"+|"+$/g, "");
  // a file name inside blobs/: no "." or "..", no separators
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(v) ? v : undefined;
}

/**
 * The {@link HubError} for an HTTP error status: 401 / 403 (private, gated or unknown
 * repository), 404 (repository, revision or file), anything else (the server failed).
 *
 * @example
 * ```ts
 * throw statusError(401, "RepoNotFound", url, ctx);
 * ```
 */
export function statusError(status: number, code: string | null, url: string, ctx: RequestContext): HubError {
  const where = safeUrl(url);
  const page = `${ctx.settings.endpoint}/${ctx.repoId}`;
  const token =
    ctx.settings.token === undefined
      ? "no token was sent"
      : "the token (HF_TOKEN) was refused or has no access";
  if (status === 401 || (status === 403 && code !== "GatedRepo")) {
    return new HubError(
      "HUB_UNAUTHORIZED",
      `${where} answered ${status}: ${ctx.repoId} is private or gated, or does not exist (the Hub answers ${status} for a name it does not show you), and ${token}. ` +
        `Check the name; for a private or gated model set HF_TOKEN to a read token and accept the model's licence on ${safeUrl(page)}`,
      { url: where, status },
    );
  }
  if (status === 403) {
    return new HubError(
      "HUB_UNAUTHORIZED",
      `${where} answered 403: ${ctx.repoId} is a gated model and ${token}. Accept its licence on ${safeUrl(page)} with your account, then set HF_TOKEN to a read token of that account`,
      { url: where, status },
    );
  }
  if (status === 404) {
    const what =
      code === "RepoNotFound"
        ? `there is no model repository named ${ctx.repoId}; check the spelling (org/name)`
        : code === "RevisionNotFound"
          ? `${ctx.repoId} has no revision ${JSON.stringify(ctx.revision)}; use a branch, tag or commit hash of the repository`
          : `${ctx.repoId} has no file ${ctx.filename} at revision ${ctx.revision}`;
    return new HubError("HUB_NOT_FOUND", `${where} answered 404: ${what}`, { url: where, status });
  }
  return new HubError(
    "HUB_NETWORK",
    `${where} answered ${status}${status >= 500 ? " (the server failed)" : ""}; try again later, or set HF_HUB_OFFLINE=1 to use files already in the cache`,
    { url: where, status },
  );
}
