// Release checks of every published workspace package, offline, as `npm test` runs them:
//
// 1. `npm pack` each package (what a publish would upload); no test or `*.test-helpers` file
//    may be in it.
// 2. publint (--strict) and are-the-types-wrong (--profile esm-only: the packages are ESM
//    only, so CommonJS `require` and node10 resolution are out of scope) on each tarball.
// 3. Install the tarballs into an empty folder outside the repository, with `npm ci --offline`
//    (registry dependencies come from the npm cache, pinned to the repository's lockfile
//    versions), then run the README's "Use tunekit from your own project" example there and
//    `tunekit --help` (the installed bin), and import every entry point of every package
//    (`@tunekit/core/ir`, ...) from the installed files.
//
//   npx tsx scripts/check-packages.ts [--keep] [--skip-install]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(REPO, "node_modules/.bin");
const { values } = parseArgs({
  options: { keep: { type: "boolean", default: false }, "skip-install": { type: "boolean", default: false } },
});

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
}
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The environment without the `npm_config_*` settings an enclosing `npm run` exports. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
const run = (cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv): string =>
  execFileSync(cmd, args, {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 26,
  });

/** The README block after the "Use tunekit from your own project" heading that starts with `// train.mjs`. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  const m = /```js\n(\/\/ train\.mjs\n[\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```js block starting with "// train.mjs"');
  return m[1]!;
}

/**
 * A package-lock.json for a project that depends on the tarballs: the registry packages they
 * need, transitively, at the versions (and integrity hashes) of the repository's lockfile, so
 * `npm ci --offline` takes every one of them from the npm cache.
 */
async function lockFor(tarballs: Map<string, { file: string; manifest: Manifest }>): Promise<unknown> {
  const repoLock = JSON.parse(await readFile(join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, LockEntry> = {};
  const rootDeps = Object.fromEntries([...tarballs].map(([name, t]) => [name, `file:${t.file}`]));
  packages[""] = { name: "own-project", dependencies: rootDeps };
  const queue: [string, Record<string, string>][] = [];
  for (const [name, t] of tarballs) {
    const bytes = await readFile(t.file);
    packages[`node_modules/${name}`] = {
      version: t.manifest.version,
      resolved: `file:${t.file}`,
      integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
      ...(t.manifest.dependencies ? { dependencies: t.manifest.dependencies } : {}),
      ...(t.manifest.bin ? { bin: t.manifest.bin } : {}),
    };
    queue.push([`node_modules/${name}`, { ...t.manifest.dependencies, ...t.manifest.optionalDependencies }]);
  }
  while (queue.length > 0) {
    const [at, deps] = queue.shift()!;
    for (const dep of Object.keys(deps)) {
      if (tarballs.has(dep)) continue;
      // Node's lookup: the nearest node_modules up from the requiring package
      const parts = at.split("/node_modules/");
      const candidates = parts.map(
        (_, i) => `${parts.slice(0, parts.length - i).join("/node_modules/")}/node_modules/${dep}`,
      );
      const found = [...candidates, `node_modules/${dep}`].find(
        (key) => repoLock.packages[key] !== undefined,
      );
      if (found === undefined) throw new Error(`${dep} (needed by ${at}) is not in package-lock.json`);
      if (packages[found] !== undefined) continue;
      const entry = { ...repoLock.packages[found]! };
      delete entry.dev;
      delete entry.devOptional;
      const name = found.slice(found.lastIndexOf("node_modules/") + 13);
      entry.resolved ??= `https://registry.npmjs.org/${name}/-/${basename(name)}-${entry.version}.tgz`;
      packages[found] = entry;
      queue.push([found, { ...entry.dependencies, ...entry.optionalDependencies }]);
    }
  }
  return { name: "own-project", lockfileVersion: 3, requires: true, packages };
}

const packs = await mkdtemp(join(tmpdir(), "tunekit-packs-"));
let failed = false;
try {
  const tarballs = new Map<string, { file: string; manifest: Manifest }>();
  for (const dir of (await readdir(join(REPO, "packages"))).sort()) {
    const pkgDir = join(REPO, "packages", dir);
    if (!existsSync(join(pkgDir, "package.json"))) continue;
    const manifest = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as Manifest;
    if (manifest.private) continue;
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packs], pkgDir)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const file = join(packs, packed[0]!.filename);
    tarballs.set(manifest.name, { file, manifest });
    // tests and test-only helpers never ship (a stale dist/ from before a rename would)
    const testFiles = packed[0]!.files
      .map((f) => f.path)
      .filter((p) => /\.test(-helpers)?\.(js|d\.ts|ts|js\.map|d\.ts\.map)$/.test(p));
    if (testFiles.length > 0) {
      failed = true;
      console.log(
        `${manifest.name}: the tarball holds test files: ${testFiles.join(", ")} (rebuild from a clean dist/)`,
      );
    }
    for (const [tool, args] of [
      ["publint", ["run", file, "--strict"]],
      ["attw", [file, "--profile", "esm-only", "--format", "table-flipped"]],
    ] as const) {
      try {
        run(join(BIN, tool), args, REPO);
        console.log(`${manifest.name}: ${tool} clean`);
      } catch (e) {
        failed = true;
        const err = e as { stdout?: string; stderr?: string };
        console.log(`${manifest.name}: ${tool} FAILED\n${err.stdout ?? ""}${err.stderr ?? ""}`);
      }
    }
  }

  if (!values["skip-install"]) {
    const project = await mkdtemp(join(tmpdir(), "tunekit-own-project-"));
    try {
      const deps = Object.fromEntries([...tarballs].map(([name, t]) => [name, `file:${t.file}`]));
      await writeFile(
        join(project, "package.json"),
        // as the README tells users: onnxruntime-node's install script (a CUDA download) denied
        `${JSON.stringify({ name: "own-project", private: true, type: "module", dependencies: deps, allowScripts: { "onnxruntime-node": false } }, null, 2)}\n`,
      );
      await writeFile(
        join(project, "package-lock.json"),
        `${JSON.stringify(await lockFor(tarballs), null, 2)}\n`,
      );
      const t0 = performance.now();
      run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
      console.log(
        `installed ${tarballs.size} tarballs offline in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
      await writeFile(join(project, "train.mjs"), await readmeExample());
      const model = join(REPO, "examples/models/bert-4l-h128");
      const out = run(process.execPath, ["train.mjs", model], project);
      const losses = [...out.matchAll(/loss ([0-9.]+)/g)].map((m) => Number(m[1]));
      if (losses.length < 2 || !(losses[losses.length - 1]! < losses[0]!)) {
        throw new Error(`the README example did not train (its output: ${out})`);
      }
      console.log(
        `README example ran in the installed project: loss ${losses[0]} -> ${losses[losses.length - 1]}`,
      );
      const help = run(join(project, "node_modules/.bin/tunekit"), ["--help"], project);
      if (!help.includes("usage: tunekit")) throw new Error(`tunekit --help printed: ${help}`);
      console.log("tunekit --help runs in the installed project");
      // Every subpath of every exports map loads from the installed dist/ files. The /testing
      // entries import vitest and fast-check, optional peers an application does not install,
      // so for those only the resolution (the `import` target exists) is checked.
      const specifiers = [...tarballs].flatMap(([name, t]) =>
        Object.keys(t.manifest.exports ?? { ".": "" }).map((key) =>
          key === "." ? name : name + key.slice(1),
        ),
      );
      await writeFile(
        join(project, "entries.mjs"),
        [
          "import { existsSync } from 'node:fs';",
          "import { fileURLToPath } from 'node:url';",
          `for (const s of ${JSON.stringify(specifiers)}) {`,
          "  const file = fileURLToPath(import.meta.resolve(s));",
          "  if (!existsSync(file)) throw new Error(s + ' resolves to a missing file ' + file);",
          "  if (/\\/testing(\\/|$)/.test(s)) { console.log(s + ': resolves'); continue; }",
          "  console.log(s + ': ' + Object.keys(await import(s)).length + ' exports');",
          "}",
        ].join("\n"),
      );
      const loaded = run(process.execPath, ["entries.mjs"], project).trim().split("\n");
      console.log(`entry points load in the installed project: ${loaded.join("; ")}`);
    } finally {
      if (values.keep) console.log(`kept ${project}`);
      else await rm(project, { recursive: true, force: true });
    }
  }
} catch (e) {
  failed = true;
  console.log(e instanceof Error ? e.message : String(e));
} finally {
  await rm(packs, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
