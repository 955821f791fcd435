import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";

/** A repository Markdown file shown on the site, and where. */
export interface ImportedPage {
  /** Repository-relative source, e.g. `docs/backends.md`. */
  readonly source: string;
  /** Site route that shows it, e.g. `/guide/backends`. */
  readonly route: string;
}

/**
 * Repository files the site includes as they are (a page includes the generated copy with
 * VitePress's `<!--@include: ...-->`), so there is one source for each text.
 *
 * @example
 * ```ts
 * IMPORTED_PAGES.find((p) => p.source === "docs/backends.md")?.route; // "/guide/backends"
 * ```
 */
export const IMPORTED_PAGES: readonly ImportedPage[] = [
  { source: "docs/architecture.md", route: "/guide/architecture" },
  { source: "docs/backends.md", route: "/guide/backends" },
  { source: "docs/scaling-out.md", route: "/guide/scaling-out" },
  { source: "docs/continuing-in-pytorch.md", route: "/guide/continuing-in-pytorch" },
  { source: "packages/cli/README.md", route: "/guide/cli" },
];

/**
 * Where a repository-relative link target goes on the site: an imported page's route, a
 * package's API index for a package folder or README, or `undefined` (the link becomes
 * plain text: the site does not serve repository files).
 *
 * @example
 * ```ts
 * siteRouteOf("packages/backend-onnx/README.md"); // "/api/@tunekit/backend-onnx/"
 * siteRouteOf("scripts/bench.ts"); // undefined
 * ```
 */
export function siteRouteOf(
  target: string,
  pages: readonly ImportedPage[] = IMPORTED_PAGES,
): string | undefined {
  const page = pages.find((p) => p.source === target || p.source === `${target}/README.md`);
  if (page !== undefined) return page.route;
  const pkg = /^packages\/([\w-]+)(?:\/README\.md)?\/?$/.exec(target);
  return pkg === null ? undefined : `/api/@tunekit/${pkg[1]}/`;
}

/** Escapes `<` and `{{` outside inline code, so Vue does not read text as markup. */
function escapeOutsideCode(line: string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/<(?=[A-Za-z/!])/g, "&lt;").replace(/\{\{/g, "&#123;&#123;"),
    )
    .join("");
}

/**
 * Rewrites one repository Markdown file for the site: drops its `# title` (the including
 * page has its own), maps relative links through {@link siteRouteOf} (anchors kept), then
 * through `fileRoute` (repository files the site publishes as they are), turns other links to
 * repository files into plain text, and escapes text that Vue would read as markup. Code
 * blocks are left as they are.
 *
 * @example
 * ```ts
 * rewriteForSite("# T\nSee [backends](backends.md#which).", "docs/architecture.md");
 * // "See [backends](/guide/backends#which)."
 * ```
 */
export function rewriteForSite(
  markdown: string,
  source: string,
  fileRoute: (repoPath: string) => string | undefined = () => undefined,
): string {
  const dir = posix.dirname(source);
  let fence: string | undefined;
  const out: string[] = [];
  let titleDropped = false;
  for (const line of markdown.split("\n")) {
    const fenceMatch = /^\s*(```+|~~~+)/.exec(line);
    if (fence !== undefined) {
      out.push(line);
      if (fenceMatch !== null && fenceMatch[1]!.startsWith(fence)) fence = undefined;
      continue;
    }
    if (fenceMatch !== null) {
      fence = fenceMatch[1]!;
      out.push(line);
      continue;
    }
    if (!titleDropped && /^# /.test(line)) {
      titleDropped = true;
      continue;
    }
    const linked = line.replace(
      /(!?)\[([^\]]*)\]\(([^)\s]+)\)/g,
      (whole, bang: string, text: string, href: string) => {
        if (/^(https?:|mailto:|#)/.test(href)) return whole;
        const [path = "", anchor] = href.split("#");
        const target = posix.normalize(posix.join(dir, path));
        const route = siteRouteOf(target) ?? fileRoute(target);
        if (route === undefined || bang === "!") return text;
        return `[${text}](${route}${anchor === undefined || route.endsWith("/") ? "" : `#${anchor}`})`;
      },
    );
    out.push(escapeOutsideCode(linked));
  }
  return out.join("\n");
}

/**
 * Writes the rewritten copy of every {@link IMPORTED_PAGES} source to
 * `<siteDir>/generated/<file name>` (e.g. `generated/backends.md`, `generated/cli-README.md`).
 *
 * @example
 * ```ts
 * writeImportedPages(repoRoot, "apps/docs/site");
 * ```
 */
export function writeImportedPages(repoRoot: string, siteDir: string): string[] {
  const written: string[] = [];
  // Small text files the pages link to (example configs, a schema) are published
  // under /files/ so that their links work; anything else stays plain text.
  const fileRoute = (repoPath: string): string | undefined => {
    const file = join(repoRoot, repoPath);
    if (!/\.(json|ya?ml|txt)$/.test(repoPath) || repoPath.startsWith("..")) return undefined;
    if (!existsSync(file) || !statSync(file).isFile() || statSync(file).size > 65_536) return undefined;
    const copy = join(siteDir, "public", "files", repoPath);
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(file, copy);
    return `/files/${repoPath}`;
  };
  for (const page of IMPORTED_PAGES) {
    const text = readFileSync(join(repoRoot, page.source), "utf8");
    const name = page.source.startsWith("packages/")
      ? `${page.source.split("/")[1]}-README.md`
      : posix.basename(page.source);
    const file = join(siteDir, "generated", name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, rewriteForSite(text, page.source, fileRoute));
    written.push(relative(siteDir, file));
  }
  return written;
}
