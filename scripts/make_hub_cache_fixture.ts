// Records how the real huggingface_hub lays out its cache, for the test that tunekit reads a
// Python cache unchanged and writes the same layout (packages/core/src/hub/python-cache.test.ts).
// Starts the loopback Hub of the tests (tiny/bert: config + LFS model.safetensors + vocab.txt;
// tiny/bert-sharded: an index and two LFS shards), lets Python's transformers download both with
// from_pretrained (HF_ENDPOINT pointed at the loopback server, a temporary HF_HOME), and writes
// every entry of the resulting cache (folders, files with size and sha256, symlink targets, refs)
// to fixtures/hub/python-cache-layout.json.
//
//   PYTHONPATH=<site with transformers + huggingface_hub> npx tsx --conditions=@tunekit/source scripts/make_hub_cache_fixture.ts [--python python3]
//
// Needs Python with transformers and huggingface_hub (not in CI; the JSON is committed).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { tinyHubRepos } from "../packages/core/src/testing/hub-repos.js";
import { startHubServer } from "../packages/core/src/testing/hub-server.js";

const PY = `
import json, sys, transformers, huggingface_hub
from transformers import AutoConfig, BertForSequenceClassification
for repo in ["tiny/bert", "tiny/bert-sharded"]:
    m = BertForSequenceClassification.from_pretrained(repo)
    print(repo, sum(p.numel() for p in m.parameters()))
print("vocab.txt", huggingface_hub.hf_hub_download("tiny/bert", "vocab.txt").split("/hub/")[1])
# a tokenizer file the repository does not have is recorded in .no_exist
try:
    huggingface_hub.hf_hub_download("tiny/bert", "tokenizer.json")
except huggingface_hub.utils.EntryNotFoundError:
    print("tokenizer.json: EntryNotFound")
print(json.dumps({"transformers": transformers.__version__, "huggingface_hub": huggingface_hub.__version__}))
`;

async function walk(
  root: string,
  dir = root,
  out: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    const key = relative(root, path);
    if (entry.isSymbolicLink()) out[key] = { symlink: await readlink(path) };
    else if (entry.isDirectory()) {
      out[key] = { dir: true };
      await walk(root, path, out);
    } else {
      const bytes = await readFile(path);
      out[key] =
        key.split("/")[1] === "refs"
          ? { file: bytes.toString("utf8") }
          : { size: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
    }
  }
  return out;
}

const { values } = parseArgs({ options: { python: { type: "string", default: "python3" } } });
const repos = await tinyHubRepos();
const hub = await startHubServer({
  repos: { "tiny/bert": repos.single, "tiny/bert-sharded": repos.sharded },
});
try {
  const home = await mkdtemp(join(tmpdir(), "hf-python-cache-"));
  // asynchronous: the loopback server answers from this process's event loop
  const child = spawn(values.python, ["-c", PY], {
    env: { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HOME: home, HF_HUB_DISABLE_TELEMETRY: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const status = await new Promise<number | null>((r) => child.on("close", r));
  if (status !== 0) throw new Error(`python failed:\n${stdout}\n${stderr}`);
  const run = { stdout };
  const lines = run.stdout.trim().split("\n");
  const versions = JSON.parse(lines.at(-1)!) as Record<string, string>;
  const layout = await walk(join(home, "hub"));
  const requests = hub.requests.map(
    (r) => `${r.server} ${r.method} ${r.path}${r.range === undefined ? "" : ` ${r.range}`}`,
  );
  const out = {
    description:
      "The cache huggingface_hub wrote when transformers' from_pretrained downloaded tiny/bert and tiny/bert-sharded from the loopback Hub (scripts/make_hub_cache_fixture.ts).",
    versions,
    python: lines.slice(0, -1),
    requests: requests.map((r) => r.replace(/127\.0\.0\.1:\d+/g, "HOST")),
    layout,
  };
  await writeFile("fixtures/hub/python-cache-layout.json", `${JSON.stringify(out, null, 2)}\n`);
  console.log(lines.join("\n"));
  console.log(`${Object.keys(layout).length} entries -> fixtures/hub/python-cache-layout.json`);
} finally {
  await hub.close();
}
