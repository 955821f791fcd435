import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createApiProgram, extractApi } from "./api-extract.js";
import type { ApiEntryPoint } from "./api-model.js";
import { discoverPackages, type WorkspacePackage } from "./workspace.js";

/** A workspace package with its extracted API, one {@link ApiEntryPoint} per entry point. */
export interface DocumentedPackage extends WorkspacePackage {
  readonly api: readonly ApiEntryPoint[];
}

/** One Markdown guide page (from `docs/*.md`). */
export interface GuideSource {
  /** File name without `.md`, used for the page name. */
  readonly slug: string;
  /** Repository-relative path, e.g. `docs/architecture.md`. */
  readonly sourcePath: string;
  readonly markdown: string;
}

/** Everything the site is generated from. */
export interface SiteModel {
  /** Repository-relative path of the root README and its text (the home page), if any. */
  readonly readme: string | undefined;
  readonly guides: readonly GuideSource[];
  readonly packages: readonly DocumentedPackage[];
}

/** Where the site model is read from. */
export interface SiteSourceOptions {
  /** Repository root (holds `packages/`, `docs/`, `README.md`, `tsconfig.base.json`). */
  readonly repoRoot: string;
  /** Folder of the packages, relative to the root. Default `packages`. */
  readonly packagesFolder?: string;
  /** Folder of the Markdown guides, relative to the root. Default `docs`. */
  readonly guideFolder?: string;
}

/** Guides listed first, in this order; the others follow alphabetically. */
export const GUIDE_ORDER: readonly string[] = ["architecture", "backends"];

/**
 * Lists the Markdown guides of a folder: {@link GUIDE_ORDER} first, then by file name.
 *
 * @example
 * ```ts
 * readGuides(".", "docs").map((g) => g.slug); // ["architecture", "backends"]
 * ```
 */
export function readGuides(repoRoot: string, guideFolder = "docs"): GuideSource[] {
  const dir = join(repoRoot, guideFolder);
  if (!existsSync(dir)) return [];
  const rank = (slug: string) => {
    const i = GUIDE_ORDER.indexOf(slug);
    return i === -1 ? GUIDE_ORDER.length : i;
  };
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .map((f) => f.slice(0, -3))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((slug) => ({
      slug,
      sourcePath: `${guideFolder}/${slug}.md`,
      markdown: readFileSync(join(dir, `${slug}.md`), "utf8"),
    }));
}

/**
 * Reads the packages (with their APIs, one TypeScript program for all entry points), the
 * guides and the root README.
 *
 * @example
 * ```ts
 * const model = loadSiteModel({ repoRoot: "." });
 * model.packages.map((p) => p.name); // ["@tunekit/core", "@tunekit/backend-onnx", ...]
 * ```
 */
export function loadSiteModel(options: SiteSourceOptions): SiteModel {
  const { repoRoot } = options;
  const workspace = discoverPackages(repoRoot, options.packagesFolder);
  const entryFiles = workspace.flatMap((p) => p.entryPoints.map((e) => e.file));
  const program = createApiProgram(
    entryFiles,
    repoRoot,
    workspace.map((p) => p.name),
  );
  const packages = workspace.map((pkg) => ({ ...pkg, api: extractApi(pkg.entryPoints, repoRoot, program) }));
  const readmePath = join(repoRoot, "README.md");
  return {
    readme: existsSync(readmePath) ? readFileSync(readmePath, "utf8") : undefined,
    guides: readGuides(repoRoot, options.guideFolder),
    packages,
  };
}
