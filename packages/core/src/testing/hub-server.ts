import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One repository served by {@link startHubServer}: its files at one commit (the `main`
 * branch), which ones are LFS files (redirected to the "CDN" server, ETag = sha256), and
 * whether it needs a token (`private`: 401 without; `gated`: 403 without).
 *
 * @example
 * ```ts
 * const repo: LoopbackRepo = { commit: "a".repeat(40), files: { "config.json": new TextEncoder().encode("{}") }, lfs: ["model.safetensors"] };
 * ```
 */
export interface LoopbackRepo {
  readonly commit: string;
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** Files served as LFS: a 302 from `resolve/` to the CDN server, `X-Linked-Etag` their sha256. */
  readonly lfs?: readonly string[];
  readonly access?: "public" | "private" | "gated";
}

/**
 * A request the loopback Hub received.
 *
 * @example
 * ```ts
 * hub.requests.filter((r) => r.server === "cdn" && r.range !== undefined);
 * ```
 */
export interface LoopbackRequest {
  readonly server: "hub" | "cdn";
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

/**
 * A running loopback Hub: `endpoint` (for `HF_ENDPOINT`) and a second server on another port
 * standing for the LFS CDN.
 *
 * @example
 * ```ts
 * const hub = await startHubServer({ repos: { "org/tiny": repo } });
 * process.env.HF_ENDPOINT = hub.endpoint;
 * await hub.close();
 * ```
 */
export interface LoopbackHub {
  readonly endpoint: string;
  readonly cdn: string;
  readonly requests: LoopbackRequest[];
  /** CDN transfers of `file` (an LFS file name) end after half the bytes, this many more times. */
  truncate(file: string, times: number): void;
  close(): Promise<void>;
}

/**
 * Starts a Hugging Face Hub look-alike on 127.0.0.1 (random ports) serving
 * `/{repo}/resolve/{revision}/{file}` as the Hub does: `X-Repo-Commit`, `ETag` (the git blob
 * sha1 for regular files), LFS files as a 302 to a CDN server on another port with
 * `X-Linked-Etag` (sha256) and `X-Linked-Size`, `Range` requests, and the Hub's errors (401
 * `RepoNotFound` for an unknown repository without a token, 403 `GatedRepo`, 404
 * `RevisionNotFound` / `EntryNotFound` with the commit). `token` is the one accepted token.
 *
 * @example
 * ```ts
 * const hub = await startHubServer({ repos: { "org/tiny": repo }, token: "hf_test" });
 * ```
 */
export async function startHubServer(o: {
  readonly repos: Readonly<Record<string, LoopbackRepo>>;
  readonly token?: string;
}): Promise<LoopbackHub> {
  const requests: LoopbackRequest[] = [];
  const truncations = new Map<string, number>();
  const blobs = new Map<string, { bytes: Uint8Array; file: string }>();
  for (const repo of Object.values(o.repos)) {
    for (const name of repo.lfs ?? []) {
      const bytes = repo.files[name];
      if (bytes !== undefined) blobs.set(sha256(bytes), { bytes, file: name });
    }
  }
  const log = (server: "hub" | "cdn", req: IncomingMessage): void => {
    requests.push({
      server,
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: req.headers.authorization,
      range: req.headers.range,
    });
  };
  const cdnServer = createServer((req, res) => {
    log("cdn", req);
    const m = /^\/lfs\/([0-9a-f]{64})(?:\?.*)?$/.exec(req.url ?? "");
    const blob = m === null ? undefined : blobs.get(m[1]!);
    if (blob === undefined) return void res.writeHead(404).end();
    const left = truncations.get(blob.file) ?? 0;
    if (left > 0) truncations.set(blob.file, left - 1);
    sendBytes(req, res, blob.bytes, { "content-type": "application/octet-stream" }, left > 0);
  });
  const cdn = await listen(cdnServer);
  const hubServer = createServer((req, res) => {
    log("hub", req);
    serveResolve(req, res, o.repos, o.token, cdn);
  });
  const endpoint = await listen(hubServer);
  return {
    endpoint,
    cdn,
    requests,
    truncate: (file, times) => void truncations.set(file, times),
    close: async () => {
      await Promise.all([hubServer, cdnServer].map((s) => close(s)));
    },
  };
}

function serveResolve(
  req: IncomingMessage,
  res: ServerResponse,
  repos: Readonly<Record<string, LoopbackRepo>>,
  token: string | undefined,
  cdn: string,
): void {
  const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec((req.url ?? "").split("?")[0]!);
  if (m === null) return void res.writeHead(404).end();
  const [, repoId, revisionRaw, fileRaw] = m as unknown as [string, string, string, string];
  const revision = decodeURIComponent(revisionRaw);
  const file = fileRaw.split("/").map(decodeURIComponent).join("/");
  const repo = repos[repoId];
  const authorized = token !== undefined && req.headers.authorization === `Bearer ${token}`;
  if (repo === undefined) {
    return void res.writeHead(authorized ? 404 : 401, { "x-error-code": "RepoNotFound" }).end();
  }
  if (repo.access === "private" && !authorized) {
    return void res.writeHead(401, { "x-error-code": "RepoNotFound" }).end();
  }
  if (repo.access === "gated" && !authorized) {
    return void res
      .writeHead(403, {
        "x-error-code": "GatedRepo",
        "x-error-message": "Access to this model is restricted",
      })
      .end();
  }
  if (revision !== "main" && revision !== repo.commit) {
    return void res.writeHead(404, { "x-error-code": "RevisionNotFound" }).end();
  }
  const bytes = repo.files[file];
  if (bytes === undefined) {
    return void res.writeHead(404, { "x-error-code": "EntryNotFound", "x-repo-commit": repo.commit }).end();
  }
  if (repo.lfs?.includes(file) === true) {
    const sha = sha256(bytes);
    res.writeHead(302, {
      location: `${cdn}/lfs/${sha}?X-Amz-Signature=signed`,
      "x-repo-commit": repo.commit,
      "x-linked-etag": `"${sha}"`,
      "x-linked-size": String(bytes.byteLength),
      etag: `"${gitBlobSha1(new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${bytes.byteLength}\n`))}"`,
      "content-length": "0",
    });
    return void res.end();
  }
  sendBytes(req, res, bytes, { "x-repo-commit": repo.commit, etag: `"${gitBlobSha1(bytes)}"` }, false);
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Uint8Array,
  headers: Record<string, string>,
  truncate: boolean,
): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const start = range === null ? 0 : Number(range[1]);
  if (start > bytes.byteLength) {
    return void res.writeHead(416, { "content-range": `bytes */${bytes.byteLength}` }).end();
  }
  const body = bytes.subarray(start);
  res.writeHead(range === null ? 200 : 206, {
    ...headers,
    "content-length": String(body.byteLength),
    ...(range === null
      ? {}
      : { "content-range": `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}` }),
  });
  if (req.method === "HEAD") return void res.end();
  if (!truncate) return void res.end(Buffer.from(body));
  res.write(Buffer.from(body.subarray(0, Math.floor(body.byteLength / 2))), () => {
    setTimeout(() => res.destroy(), 20);
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Git's object id of a file (`sha1("blob <size>\0" + bytes)`), which the Hub sends as the
 * `ETag` of regular (non-LFS) files.
 *
 * @example
 * ```ts
 * gitBlobSha1(new Uint8Array()); // "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
 * ```
 */
export function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.byteLength}\0`).update(bytes).digest("hex");
}
