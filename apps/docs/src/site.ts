import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { relativeHref } from "./html.js";
import { type NavLink, type PageContent, renderPage, type SiteNav } from "./layout.js";
import { apiAnchor, memberAnchor } from "./render-api.js";
import {
  type CodeLinkFor,
  guidePagePath,
  packagePagePath,
  renderGuidePage,
  renderHomePage,
  renderPackagePage,
  type ResolverFor,
} from "./render-pages.js";
import type { SiteModel } from "./site-model.js";

/** The stylesheet every page links to (`style.css` at the site root). */
export const STYLESHEET_PATH = "style.css";

/**
 * The site's one stylesheet, read from `src/style.css` beside this module.
 *
 * @example
 * ```ts
 * readStylesheet().includes(".sidebar"); // true
 * ```
 */
export function readStylesheet(): string {
  return readFileSync(fileURLToPath(new URL("./style.css", import.meta.url)), "utf8");
}

interface SymbolTarget {
  readonly page: string;
  readonly anchor: string;
  readonly packageSlug: string;
  readonly subpath: string;
}

/** Maps repository paths (READMEs, guides, package folders) to the pages that show them. */
function siteUrlMap(model: SiteModel): (repoPath: string) => string | undefined {
  const map = new Map<string, string>([
    ["", "index.html"],
    ["README.md", "index.html"],
  ]);
  for (const g of model.guides) map.set(g.sourcePath, guidePagePath(g.slug));
  for (const p of model.packages) {
    const page = packagePagePath(p.slug);
    map.set(p.relativeDir, page);
    map.set(`${p.relativeDir}/README.md`, page);
    map.set(`${p.relativeDir}/package.json`, page);
  }
  return (repoPath) => map.get(repoPath);
}

/**
 * `{@link}` and inline-code resolution: same entry point first, then same package, then
 * package order (core first).
 */
function linkResolvers(model: SiteModel) {
  const index = new Map<string, SymbolTarget[]>();
  for (const pkg of model.packages) {
    for (const entry of pkg.api) {
      for (const item of entry.exports) {
        const targets = index.get(item.name) ?? [];
        targets.push({
          page: packagePagePath(pkg.slug),
          anchor: apiAnchor(entry.subpath, item.name),
          packageSlug: pkg.slug,
          subpath: entry.subpath,
        });
        index.set(item.name, targets);
        for (const member of new Set(item.members.map((m) => m.name))) {
          const key = `${item.name}.${member}`;
          const memberTargets = index.get(key) ?? [];
          memberTargets.push({
            page: packagePagePath(pkg.slug),
            anchor: memberAnchor(entry.subpath, item.name, member),
            packageSlug: pkg.slug,
            subpath: entry.subpath,
          });
          index.set(key, memberTargets);
        }
      }
    }
  }
  const find = (name: string, packageSlug?: string, subpath?: string): SymbolTarget | undefined => {
    // `Name.member`: the member's entry when it is listed, else the export's section.
    const targets = index.get(name) ?? index.get(name.split(".")[0]!);
    if (targets === undefined) return undefined;
    return (
      targets.find((t) => t.packageSlug === packageSlug && t.subpath === subpath) ??
      targets.find((t) => t.packageSlug === packageSlug) ??
      targets[0]!
    );
  };
  const href = (page: string, t: SymbolTarget) =>
    t.page === page ? `#${t.anchor}` : relativeHref(page, `${t.page}#${t.anchor}`);
  const resolverFor: ResolverFor = (page, packageSlug, subpath) => (name) => {
    const target = find(name, packageSlug, subpath);
    return target === undefined ? undefined : href(page, target);
  };
  // Inline code in Markdown is only a guess: a plain word (`log`, `Dropout`) links within its
  // own package, but to another package only when it is a function call (`adamw()`; not
  // `Dropout(...)`, which may be an ONNX op), a member (`Module.setSubmodule`) or a compound
  // name (`TrainStepRunner`, `expandComposites`).
  const codeLinkFor: CodeLinkFor = (page, packageSlug) => (name, called) => {
    const target = find(name, packageSlug, ".");
    if (target === undefined) return undefined;
    const distinctive = (called && /^[a-z_$]/.test(name)) || name.includes(".") || /[a-z0-9][A-Z]/.test(name);
    return target.packageSlug === packageSlug || distinctive ? href(page, target) : undefined;
  };
  return { resolverFor, codeLinkFor };
}

/**
 * Renders the whole site in memory: `index.html`, one `guide/<name>.html` per guide, one
 * `packages/<folder>.html` per package and `style.css`. Paths are sorted and no timestamps
 * are written, so the same sources always give the same bytes.
 *
 * @example
 * ```ts
 * const files = renderSite(loadSiteModel({ repoRoot: "." }));
 * files.get("packages/core.html"); // "<!doctype html>..."
 * ```
 */
export function renderSite(model: SiteModel): Map<string, string> {
  const siteUrlOf = siteUrlMap(model);
  const { resolverFor, codeLinkFor } = linkResolvers(model);
  const guides = model.guides.map((g) => renderGuidePage(g, siteUrlOf, codeLinkFor));
  const packages = model.packages.map((p) => renderPackagePage(p, siteUrlOf, resolverFor, codeLinkFor));
  const home = renderHomePage(model.readme, model.packages, guides, siteUrlOf, codeLinkFor);
  const nav: SiteNav = {
    guides: [
      { path: "index.html", title: "Overview" },
      ...guides.map((g) => ({ path: g.path, title: g.title })),
    ],
    packages: model.packages.map(
      (p): NavLink => ({
        path: packagePagePath(p.slug),
        title: p.name,
        children: p.api.map((e) => ({
          path: `${packagePagePath(p.slug)}#${apiAnchor(e.subpath)}`,
          title: `API: ${e.specifier}`,
        })),
      }),
    ),
  };
  const pages: PageContent[] = [home, ...guides, ...packages];
  const files = new Map<string, string>();
  for (const page of [...pages].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (page.path === STYLESHEET_PATH) continue;
    files.set(page.path, renderPage(page, nav));
  }
  files.set(STYLESHEET_PATH, readStylesheet());
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Writes rendered files under `outDir`, removing what a previous build left there first.
 *
 * @example
 * ```ts
 * writeSite(renderSite(model), "apps/docs/dist");
 * ```
 */
export function writeSite(files: ReadonlyMap<string, string>, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, content] of files) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}
