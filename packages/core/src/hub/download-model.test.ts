import { createHash } from "node:crypto";
import { lstat, mkdtemp, readdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { readSafetensorsFile } from "../io/safetensors-file.js";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { tinyHubRepos } from "../testing/hub-repos.js";
import { type LoopbackHub, startHubServer } from "../testing/hub-server.js";
import { downloadModel } from "./download-model.js";
import { HubError } from "./hub-errors.js";
import { type HubSettings, resolveHubSettings } from "./hub-settings.js";

const TOKEN = "hf_loopbacksecret123";
let hub: LoopbackHub;
let repos: Awaited<ReturnType<typeof tinyHubRepos>>;

beforeAll(async () => {
  repos = await tinyHubRepos();
  const pytorchOnly = {
    commit: "3333333333333333333333333333333333333333",
    files: {
      "config.json": repos.single.files["config.json"]!,
      "pytorch_model.bin": new Uint8Array([1, 2, 3]),
    },
  };
  hub = await startHubServer({
    token: TOKEN,
    repos: {
      "tiny/bert": repos.single,
      "tiny/bert-sharded": repos.sharded,
      "tiny/bert-bin": pytorchOnly,
      "tiny/bert-private": { ...repos.single, access: "private" },
      "tiny/bert-gated": { ...repos.single, access: "gated" },
      "tiny/bert-flaky": repos.single,
      "tiny/bert-bad-index": {
        commit: "4444444444444444444444444444444444444444",
        files: {
          "config.json": repos.single.files["config.json"]!,
          "model.safetensors.index.json": new TextEncoder().encode('{"weight_map":{"a":"../../etc/passwd"}}'),
        },
      },
    },
  });
});
afterAll(() => hub.close());

async function settings(o: Partial<HubSettings> = {}): Promise<HubSettings> {
  return resolveHubSettings(
    { HF_ENDPOINT: hub.endpoint, HF_HOME: await mkdtemp(join(tmpdir(), "tunekit-hf-")), HF_TOKEN: TOKEN },
    o,
  );
}

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("downloadModel (loopback Hub)", () => {
  it("follows the LFS redirect to the CDN, fills huggingface_hub's cache layout and loads", async () => {
    const s = await settings();
    const since = hub.requests.length;
    const m = await downloadModel("tiny/bert", { settings: s });
    const folder = join(s.cacheDir, "models--tiny--bert");
    expect(m.folder).toBe(join(folder, "snapshots", repos.single.commit));
    expect(m.commit).toBe(repos.single.commit);
    expect(m.files).toEqual(["config.json", "model.safetensors", "vocab.txt"]);
    expect(await readFile(join(folder, "refs", "main"), "utf8")).toBe(repos.single.commit);
    // snapshot files are relative symlinks to blobs named by ETag (sha256 for LFS files)
    const link = await readlink(join(m.folder, "model.safetensors"));
    expect(link).toBe(`../../blobs/${sha256(repos.weights)}`);
    expect((await lstat(join(m.folder, "config.json"))).isSymbolicLink()).toBe(true);
    expect((await readdir(join(folder, "blobs"))).sort()).toHaveLength(3);
    // the optional tokenizer files the repository lacks are recorded as .no_exist, as huggingface_hub does
    expect(await stat(join(folder, ".no_exist", repos.single.commit, "tokenizer.json"))).toBeDefined();
    // the token goes to the Hub, never to the CDN host
    const mine = hub.requests.slice(since);
    const cdn = mine.filter((r) => r.server === "cdn");
    expect(cdn.map((r) => r.method)).toEqual(["GET"]);
    expect(cdn[0]!.authorization).toBeUndefined();
    expect(mine.filter((r) => r.server === "hub").every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(
      true,
    );
    const { model, report } = await loadBertCheckpoint(m.folder, {
      task: "sequence-classification",
      numLabels: 2,
    });
    expect(report.initialized).toEqual([]);
    expect(model).toBeDefined();

    // a second run downloads nothing: HEAD requests only
    const again = hub.requests.length;
    expect((await downloadModel("tiny/bert", { settings: s })).folder).toBe(m.folder);
    expect(hub.requests.slice(again).every((r) => r.method === "HEAD" && r.server === "hub")).toBe(true);

    // offline re-run: no request at all, same folder; a model never fetched is HUB_OFFLINE_MISS
    const offline = { ...s, offline: true };
    const before = hub.requests.length;
    const o = await downloadModel("tiny/bert", { settings: offline });
    expect(o.folder).toBe(m.folder);
    expect(o.fromCache).toBe(true);
    expect(hub.requests.length).toBe(before);
    const miss = await rejection(downloadModel("tiny/bert-sharded", { settings: offline }));
    expect(miss.code).toBe("HUB_OFFLINE_MISS");
    expect(miss.message).toContain("HF_HUB_OFFLINE");
    // an unreachable Hub falls back to the cache too
    const closed = { ...s, endpoint: "http://127.0.0.1:9" };
    expect((await downloadModel("tiny/bert", { settings: closed })).folder).toBe(m.folder);
  });

  it("a sharded checkpoint: the index and every shard, loading to the single file's weights", async () => {
    const s = await settings();
    const m = await downloadModel("tiny/bert-sharded", { settings: s });
    expect(m.files).toEqual([
      "config.json",
      "model.safetensors.index.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    const sharded = await loadBertCheckpoint(m.folder, { task: "sequence-classification", numLabels: 2 });
    const single = await readSafetensorsFile(
      join((await downloadModel("tiny/bert", { settings: s })).folder, "model.safetensors"),
    );
    const params = new Map(sharded.model.namedParameters().map(([n, p]) => [n, p]));
    let compared = 0;
    for (const [name, t] of single.tensors) {
      const p = params.get(name.replace(/^bert\./, "")) ?? params.get(name);
      if (p === undefined) continue;
      expect(Array.from(p.value.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });

  it("falls back to pytorch_model.bin, and pins a commit revision", async () => {
    const s = await settings();
    const m = await downloadModel("tiny/bert-bin", { settings: s });
    expect(m.files).toEqual(["config.json", "pytorch_model.bin"]);
    const pinned = await downloadModel(`tiny/bert@${repos.single.commit}`, { settings: s });
    expect(pinned.commit).toBe(repos.single.commit);
    const e = await rejection(downloadModel("tiny/bert@no-such-branch", { settings: s }));
    expect(e.code).toBe("HUB_NOT_FOUND");
    expect(e.message).toContain('no revision "no-such-branch"');
  });

  it("401 / 403 / 404 name the URL and what to do, never the token", async () => {
    const s = await settings();
    const noToken: HubSettings = {
      endpoint: s.endpoint,
      cacheDir: s.cacheDir,
      offline: false,
    };
    const priv = await rejection(downloadModel("tiny/bert-private", { settings: noToken }));
    expect(priv.code).toBe("HUB_UNAUTHORIZED");
    expect(priv.status).toBe(401);
    expect(priv.message).toContain(`${hub.endpoint}/tiny/bert-private/resolve/main/config.json`);
    expect(priv.message).toContain("HF_TOKEN");
    expect(priv.message).toContain("no token was sent");
    const gated = await rejection(downloadModel("tiny/bert-gated", { settings: noToken }));
    expect(gated.status).toBe(403);
    expect(gated.message).toContain("licence");
    expect((await downloadModel("tiny/bert-private", { settings: s })).files).toContain("model.safetensors");
    // like huggingface_hub, a refused request falls back to what the cache has...
    const cachedOnly = await downloadModel("tiny/bert-private", {
      settings: { ...noToken, token: "hf_wrongtoken" },
    });
    expect(cachedOnly.fromCache).toBe(true);
    // ...and is an error when it has nothing
    const fresh = await settings();
    const wrong = await rejection(
      downloadModel("tiny/bert-private", { settings: { ...fresh, token: "hf_wrongtoken" } }),
    );
    expect(wrong.code).toBe("HUB_UNAUTHORIZED");
    expect(wrong.message).toContain("was refused");
    const missing = await rejection(downloadModel("tiny/no-such-model", { settings: s }));
    expect(missing.code).toBe("HUB_NOT_FOUND");
    expect(missing.message).toContain("no model repository named tiny/no-such-model");
    for (const e of [priv, gated, wrong, missing]) {
      expect(e.message).not.toContain(TOKEN);
      expect(JSON.stringify(e.details)).not.toContain(TOKEN);
      expect(isTunekitError(e)).toBe(true);
    }
  });

  it("a truncated transfer is HUB_TRUNCATED, keeps the partial file, and the next run resumes with Range", async () => {
    const s = await settings();
    hub.truncate("model.safetensors", 1);
    const e = await rejection(downloadModel("tiny/bert-flaky", { settings: s, retries: 0 }));
    expect(e.code).toBe("HUB_TRUNCATED");
    expect(e.message).toMatch(/ended after \d+ of \d+ bytes; run again to resume/);
    const blob = join(s.cacheDir, "models--tiny--bert-flaky", "blobs", sha256(repos.weights));
    const partial = (await stat(`${blob}.incomplete`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(repos.weights.byteLength);
    const since = hub.requests.length;
    const progress: number[] = [];
    const m = await downloadModel("tiny/bert-flaky", {
      settings: s,
      onProgress: (p) => {
        if (p.file === "model.safetensors") progress.push(p.received);
      },
    });
    const ranges = hub.requests
      .slice(since)
      .filter((r) => r.server === "cdn")
      .map((r) => r.range);
    expect(ranges).toEqual([`bytes=${partial}-`]);
    expect(sha256(new Uint8Array(await readFile(join(m.folder, "model.safetensors"))))).toBe(
      sha256(repos.weights),
    );
    expect(progress[0]).toBe(partial);
    expect(progress.at(-1)).toBe(repos.weights.byteLength);
    await expect(stat(`${blob}.incomplete`)).rejects.toThrow();
  });

  it("resumes within one call (retries), and a corrupted partial file fails the sha256 check", async () => {
    const s = await settings();
    hub.truncate("model.safetensors", 2);
    const m = await downloadModel("tiny/bert-flaky", { settings: s, retries: 3, retryDelayMs: 0 });
    expect(sha256(new Uint8Array(await readFile(join(m.folder, "model.safetensors"))))).toBe(
      sha256(repos.weights),
    );

    const t = await settings();
    hub.truncate("model.safetensors", 1);
    await rejection(downloadModel("tiny/bert-flaky", { settings: t, retries: 0 }));
    const incomplete = join(
      t.cacheDir,
      "models--tiny--bert-flaky",
      "blobs",
      `${sha256(repos.weights)}.incomplete`,
    );
    const bytes = new Uint8Array(await readFile(incomplete));
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(incomplete, bytes);
    const e = await rejection(downloadModel("tiny/bert-flaky", { settings: t }));
    expect(e.code).toBe("HUB_INTEGRITY");
    expect(e.message).toContain("sha256");
    await expect(stat(incomplete)).rejects.toThrow();
    // the next run starts afresh and succeeds
    expect((await downloadModel("tiny/bert-flaky", { settings: t })).files).toContain("model.safetensors");
  });

  it("two downloads of the same model at once fetch each blob once (the lock)", async () => {
    const s = await settings();
    const since = hub.requests.length;
    const [a, b] = await Promise.all([
      downloadModel("tiny/bert", { settings: s }),
      downloadModel("tiny/bert", { settings: s }),
    ]);
    expect(a.folder).toBe(b.folder);
    expect(hub.requests.slice(since).filter((r) => r.server === "cdn")).toHaveLength(1);
    expect(
      hub.requests.slice(since).filter((r) => r.method === "GET" && r.path.endsWith("/config.json")),
    ).toHaveLength(1);
  });

  it("a network failure is HUB_NETWORK; a hostile shard index is HUB_BAD_RESPONSE", async () => {
    const s = await settings();
    const down = await rejection(
      downloadModel("tiny/bert", { settings: { ...s, endpoint: "http://127.0.0.1:9" } }),
    );
    expect(down.code).toBe("HUB_NETWORK");
    expect(down.message).toContain("http://127.0.0.1:9/tiny/bert/resolve/main/config.json");
    expect(down.message).toContain("HF_HUB_OFFLINE=1");
    const bad = await rejection(downloadModel("tiny/bert-bad-index", { settings: s }));
    expect(bad.code).toBe("HUB_BAD_RESPONSE");
    expect(bad.message).toContain("../../etc/passwd");
  });
});
