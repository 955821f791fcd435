import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative } from "node:path";

/** One internal link of the built site that leads nowhere. */
export interface BrokenLink {
  /** The page that holds the link, relative to the site root. */
  readonly page: string;
  readonly href: string;
  readonly reason: "no such file" | "no such anchor";
}

function htmlFiles(dir: string, root = dir): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...htmlFiles(path, root));
    else if (entry.name.endsWith(".html")) files.push(relative(root, path).split("\\").join("/"));
  }
  return files;
}

/** The file a site path is served from (`/guide/x` → `guide/x.html`, `/api/` → `api/index.html`). */
function fileOf(siteDir: string, path: string): string | undefined {
  const clean = path.replace(/^\/+/, "");
  const candidates =
    clean === "" || clean.endsWith("/")
      ? [`${clean}index.html`]
      : [clean, `${clean}.html`, `${clean}/index.html`];
  return candidates.find((c) => existsSync(join(siteDir, c)) && statSync(join(siteDir, c)).isFile());
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * Reads every HTML file of a built site and checks each internal `href` and `src` (links to
 * `/...` or relative ones; external URLs are skipped): the target file exists and, for HTML
 * targets with `#anchor`, holds an element with that `id`.
 *
 * @example
 * ```ts
 * const broken = findBrokenSiteLinks("apps/docs/dist");
 * broken.map((b) => `${b.page}: ${b.href} (${b.reason})`);
 * ```
 */
export function findBrokenSiteLinks(siteDir: string): BrokenLink[] {
  const pages = htmlFiles(siteDir);
  const ids = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    let set = ids.get(file);
    if (set === undefined) {
      const html = readFileSync(join(siteDir, file), "utf8");
      set = new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decode(m[1]!)));
      ids.set(file, set);
    }
    return set;
  };
  const resolved = new Map<string, string | undefined>();
  const resolve = (path: string): string | undefined => {
    if (!resolved.has(path)) resolved.set(path, fileOf(siteDir, path));
    return resolved.get(path);
  };
  const broken: BrokenLink[] = [];
  for (const page of pages) {
    const html = readFileSync(join(siteDir, page), "utf8");
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const href = m[1]!.replace(/&amp;/g, "&");
      if (href === "" || /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(href)) continue; // external, mailto:, data:
      const [pathPart = "", anchor] = href.split("#");
      const path = decode(pathPart.split("?")[0]!);
      const target =
        path === "" ? page : resolve(path.startsWith("/") ? path : posix.join(posix.dirname(page), path));
      if (target === undefined) {
        broken.push({ page, href, reason: "no such file" });
      } else if (
        anchor !== undefined &&
        anchor !== "" &&
        target.endsWith(".html") &&
        !idsOf(target).has(decode(anchor))
      ) {
        broken.push({ page, href, reason: "no such anchor" });
      }
    }
  }
  return broken;
}
