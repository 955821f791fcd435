import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { TunekitError } from "@tunekit/core";

/** One public entry point of a package (`"."`, `"./testing"`, ...) and its source file. */
export interface EntryPointSource {
  /** Subpath as written in the package.json `exports` map, e.g. `"."` or `"./testing"`. */
  readonly subpath: string;
  /** Import specifier users write, e.g. `@tunekit/core/testing`. */
  readonly specifier: string;
  /** Absolute path of the TypeScript source (the `@tunekit/source` condition). */
  readonly file: string;
}

/** What the docs site knows about one workspace package before its API is extracted. */
export interface WorkspacePackage {
  /** Folder name under `packages/`, used for page names (`core`, `backend-onnx`). */
  readonly slug: string;
  /** Absolute folder path. */
  readonly dir: string;
  /** Folder path relative to the repository root, e.g. `packages/core`. */
  readonly relativeDir: string;
  /** package.json `name`. */
  readonly name: string;
  /** package.json `description`, or `""`. */
  readonly description: string;
  /** README.md text, or `undefined` when the package has none yet. */
  readonly readme: string | undefined;
  /** Entry points whose source file exists, `"."` first. */
  readonly entryPoints: readonly EntryPointSource[];
}

type ExportTarget = string | { readonly [condition: string]: ExportTarget } | null;

function sourceOf(target: ExportTarget | undefined): string | undefined {
  if (typeof target === "string") return target.endsWith(".ts") ? target : undefined;
  if (target === null || target === undefined) return undefined;
  return sourceOf(target["@tunekit/source"]) ?? sourceOf(target.types);
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `docs: could not read ${file} as JSON (${String(cause)}); expected a valid package.json. Fix the file.`,
    );
  }
}

/**
 * Lists the entry points of a package from its package.json `exports` map (the
 * `@tunekit/source` condition), falling back to `src/index.ts` when there is no map.
 *
 * @example
 * ```ts
 * entryPointsOf("/repo/packages/core", pkgJson); // [{ subpath: ".", specifier: "@tunekit/core", file: ".../src/index.ts" }, ...]
 * ```
 */
export function entryPointsOf(dir: string, pkg: Record<string, unknown>): EntryPointSource[] {
  const name = String(pkg.name ?? "");
  const exportsMap = pkg.exports as Record<string, ExportTarget> | undefined;
  const found: EntryPointSource[] = [];
  if (exportsMap !== undefined && exportsMap !== null && typeof exportsMap === "object") {
    const keys = Object.keys(exportsMap).filter((k) => k.startsWith("."));
    for (const subpath of keys.sort((a, b) => (a === "." ? -1 : b === "." ? 1 : a.localeCompare(b)))) {
      const source = sourceOf(exportsMap[subpath]);
      if (source === undefined || subpath.includes("*")) continue;
      const file = resolve(dir, source);
      if (!existsSync(file)) continue;
      found.push({ subpath, specifier: subpath === "." ? name : name + subpath.slice(1), file });
    }
  }
  if (found.length === 0 && existsSync(join(dir, "src", "index.ts"))) {
    found.push({ subpath: ".", specifier: name, file: join(dir, "src", "index.ts") });
  }
  return found;
}

/**
 * Reads every package under `<repoRoot>/packages/*` that has a package.json, sorted by folder
 * name with `core` first. Packages without a README or an entry point yet are still listed.
 *
 * @example
 * ```ts
 * const packages = discoverPackages(".");
 * packages.map((p) => p.name); // ["@tunekit/core", "@tunekit/backend-onnx", ...]
 * ```
 */
export function discoverPackages(repoRoot: string, packagesFolder = "packages"): WorkspacePackage[] {
  const root = join(repoRoot, packagesFolder);
  if (!existsSync(root)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `docs: no ${packagesFolder}/ folder under ${repoRoot}; expected a workspace root. Pass the repository root.`,
    );
  }
  const slugs = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, "package.json")))
    .map((d) => d.name)
    .sort((a, b) => (a === "core" ? -1 : b === "core" ? 1 : a.localeCompare(b)));
  return slugs.map((slug) => {
    const dir = join(root, slug);
    const pkg = readJson(join(dir, "package.json"));
    const readmePath = join(dir, "README.md");
    return {
      slug,
      dir,
      relativeDir: relative(repoRoot, dir).split("\\").join("/"),
      name: String(pkg.name ?? slug),
      description: typeof pkg.description === "string" ? pkg.description : "",
      readme: existsSync(readmePath) ? readFileSync(readmePath, "utf8") : undefined,
      entryPoints: entryPointsOf(dir, pkg),
    };
  });
}
