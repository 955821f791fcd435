import { mkdir, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBertCheckpoint } from "../models/bert/checkpoint.js";
import { tinyHubRepos } from "../testing/hub-repos.js";
import { type LoopbackHub, startHubServer } from "../testing/hub-server.js";
import { findRepoRoot } from "../testing/parity-fixtures.js";
import { downloadModel } from "./download-model.js";
import { resolveHubSettings } from "./hub-settings.js";

// fixtures/hub/python-cache-layout.json is the cache the real huggingface_hub 0.27 wrote when
// transformers' from_pretrained downloaded the same two repositories from the same loopback Hub
// (scripts/make_hub_cache_fixture.ts).
type Entry = { dir: true } | { symlink: string } | { file: string } | { size: number; sha256: string };
interface Fixture {
  readonly versions: Record<string, string>;
  readonly layout: Record<string, Entry>;
}

let fixture: Fixture;
let repos: Awaited<ReturnType<typeof tinyHubRepos>>;
let hub: LoopbackHub;

beforeAll(async () => {
  fixture = JSON.parse(
    await readFile(join(findRepoRoot()!, "fixtures/hub/python-cache-layout.json"), "utf8"),
  ) as Fixture;
  repos = await tinyHubRepos();
  hub = await startHubServer({ repos: { "tiny/bert": repos.single, "tiny/bert-sharded": repos.sharded } });
});
afterAll(() => hub.close());

/** Rebuilds the Python cache: folders, relative symlinks, refs, empty markers, blobs (by the file pointing at them). */
async function rebuildPythonCache(root: string): Promise<void> {
  const blobContent = new Map<string, Uint8Array>();
  for (const [key, e] of Object.entries(fixture.layout)) {
    if (!("symlink" in e)) continue;
    const [repoFolder, , , ...file] = key.split("/");
    const repo = repoFolder === "models--tiny--bert" ? repos.single : repos.sharded;
    blobContent.set(join(dirname(key), e.symlink), repo.files[file.join("/")]!);
  }
  for (const [key, e] of Object.entries(fixture.layout)) {
    const path = join(root, key);
    if ("dir" in e) await mkdir(path, { recursive: true });
    else if ("symlink" in e) {
      await mkdir(dirname(path), { recursive: true });
      await symlink(e.symlink, path);
    } else if ("file" in e) await writeFile(path, e.file);
    else await writeFile(path, blobContent.get(key) ?? new Uint8Array(0));
  }
}

/** The cache's entries with blob names replaced by the snapshot files that point at them, lock files left out. */
async function describeCache(root: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, d.name);
      const key = relative(root, path);
      if (key.startsWith(".locks")) continue;
      if (d.isDirectory()) await walk(path);
      entries[key] = d.isSymbolicLink() ? `-> ${await readlink(path)}` : d.isDirectory() ? "dir" : "file";
    }
  };
  await walk(root);
  const roles = new Map<string, string>();
  for (const [key, v] of Object.entries(entries)) {
    if (!v.startsWith("-> ")) continue;
    const blob = join(dirname(key), v.slice(3));
    roles.set(blob, [roles.get(blob), key.split("/").slice(3).join("/")].filter(Boolean).sort().join("+"));
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(entries)) {
    const blob = v.startsWith("-> ") ? join(dirname(key), v.slice(3)) : key;
    const role = roles.get(blob);
    const name = (k: string) => (roles.has(k) ? k.replace(/[^/]+$/, `<blob of ${roles.get(k)}>`) : k);
    out[name(key)] = v.startsWith("-> ") ? `-> blob of ${role}` : v;
  }
  return out;
}

describe("the huggingface_hub cache is shared with Python", () => {
  it("the fixture is the real huggingface_hub's layout", () => {
    expect(fixture.versions.huggingface_hub).toBe("0.27.1");
    expect(fixture.layout["models--tiny--bert/refs/main"]).toEqual({ file: repos.single.commit });
  });

  it("a cache written by Python works in tunekit unchanged, offline", async () => {
    const home = await mkdtemp(join(tmpdir(), "tunekit-pycache-"));
    await rebuildPythonCache(join(home, "hub"));
    const settings = resolveHubSettings({ HF_HOME: home, HF_HUB_OFFLINE: "1" });
    const before = hub.requests.length;
    for (const repo of ["tiny/bert", "tiny/bert-sharded"]) {
      const m = await downloadModel(repo, { settings });
      expect(m.fromCache).toBe(true);
      const { report } = await loadBertCheckpoint(m.folder, {
        task: "sequence-classification",
        numLabels: 2,
      });
      expect(report.initialized).toEqual([]);
    }
    expect((await downloadModel("tiny/bert", { settings })).files).toEqual([
      "config.json",
      "model.safetensors",
      "vocab.txt",
    ]);
    expect(hub.requests.length).toBe(before);
    // and online, nothing is downloaded again: metadata requests only
    const online = resolveHubSettings({ HF_HOME: home, HF_ENDPOINT: hub.endpoint });
    await downloadModel("tiny/bert-sharded", { settings: online });
    expect(hub.requests.slice(before).every((r) => r.method === "HEAD")).toBe(true);
  });

  it("tunekit writes the same layout as Python (blobs, relative symlinks, refs)", async () => {
    const home = await mkdtemp(join(tmpdir(), "tunekit-ourcache-"));
    const settings = resolveHubSettings({ HF_HOME: home, HF_ENDPOINT: hub.endpoint });
    await downloadModel("tiny/bert", { settings });
    await downloadModel("tiny/bert-sharded", { settings });
    const pythonHome = await mkdtemp(join(tmpdir(), "tunekit-pycache-"));
    await rebuildPythonCache(join(pythonHome, "hub"));
    const ours = await describeCache(join(home, "hub"));
    const python = await describeCache(join(pythonHome, "hub"));
    // tunekit asks for more optional tokenizer files, so it records more .no_exist markers;
    // version.txt is transformers' own cache-migration marker
    const withoutNoExist = (d: Record<string, string>) =>
      Object.fromEntries(Object.entries(d).filter(([k]) => !k.includes("/.no_exist") && k !== "version.txt"));
    expect(withoutNoExist(ours)).toEqual(withoutNoExist(python));
    for (const k of Object.keys(python).filter((k) => k.includes("/.no_exist/")))
      expect(ours[k], k).toBe(python[k]);
    expect(Object.keys(ours).length).toBeGreaterThan(20);
  });
});
