import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubError } from "./hub-errors.js";
import { hubFile } from "./hub-file.js";
import { resolveHubSettings } from "./hub-settings.js";

// Servers that do not behave like the Hub: typed errors, nothing half-written left as a blob.
const COMMIT = "6".repeat(40);
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url.includes("/not-hub/")) return void res.writeHead(200, { "content-length": "2" }).end("ok"); // no commit, no ETag
    if (url.includes("/too-long/")) {
      // announces 10 bytes, sends 1 MB
      if (req.method === "HEAD")
        return void res
          .writeHead(200, { "x-repo-commit": COMMIT, etag: '"abc"', "content-length": "10" })
          .end();
      res.writeHead(200);
      return void res.end(Buffer.alloc(1 << 20, 7));
    }
    if (url.includes("/down/")) return void res.writeHead(503).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function failure(repoId: string): Promise<{ error: HubError; cacheDir: string }> {
  const settings = resolveHubSettings({
    HF_ENDPOINT: endpoint,
    HF_HOME: await mkdtemp(join(tmpdir(), "tunekit-hostile-")),
  });
  const error = await hubFile({ repoId, revision: "main" }, "config.json", settings, { retries: 0 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubError);
  return { error: error as HubError, cacheDir: settings.cacheDir };
}

describe("servers that are not the Hub", () => {
  it("no X-Repo-Commit / ETag: HUB_BAD_RESPONSE naming HF_ENDPOINT", async () => {
    const { error } = await failure("x/not-hub");
    expect(error.code).toBe("HUB_BAD_RESPONSE");
    expect(error.message).toContain("HF_ENDPOINT");
  });

  it("more bytes than announced: HUB_INTEGRITY, no blob written", async () => {
    const { error, cacheDir } = await failure("x/too-long");
    expect(error.code).toBe("HUB_INTEGRITY");
    const blobs = await readdir(join(cacheDir, "models--x--too-long", "blobs"));
    expect(blobs.filter((b) => !b.endsWith(".incomplete"))).toEqual([]);
  });

  it("a server error (503) is HUB_NETWORK with what to do", async () => {
    const { error } = await failure("x/down");
    expect(error.code).toBe("HUB_NETWORK");
    expect(error.status).toBe(503);
    expect(error.message).toContain("HF_HUB_OFFLINE=1");
  });
});
