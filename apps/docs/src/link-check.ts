import { posix } from "node:path";

/** One internal link that points at a missing page or a missing `id`. */
export interface BrokenLink {
  /** Page that holds the link. */
  readonly page: string;
  /** The `href` as written. */
  readonly href: string;
  readonly reason: "missing page" | "missing anchor";
}

const HREF = /\shref="([^"]*)"/g;
const ID = /\sid="([^"]*)"/g;

function unescapeAttribute(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * Checks every relative `href` of every HTML page of a rendered site: the target file must
 * exist and, when the link has a `#fragment`, the target page must have an element with that
 * `id`. External (`scheme:`) links are not checked.
 *
 * @example
 * ```ts
 * const broken = findBrokenLinks(renderSite(model));
 * broken; // [] when every internal link resolves
 * ```
 */
export function findBrokenLinks(files: ReadonlyMap<string, string>): BrokenLink[] {
  const ids = new Map<string, Set<string>>();
  for (const [path, html] of files) {
    if (path.endsWith(".html"))
      ids.set(path, new Set([...html.matchAll(ID)].map((m) => unescapeAttribute(m[1]!))));
  }
  const broken: BrokenLink[] = [];
  for (const [page, html] of files) {
    if (!page.endsWith(".html")) continue;
    for (const match of html.matchAll(HREF)) {
      const href = unescapeAttribute(match[1]!);
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("//")) continue;
      const [path, fragment] = href.split("#", 2) as [string, string | undefined];
      const target = path === "" ? page : posix.normalize(posix.join(posix.dirname(page), path));
      if (!files.has(target)) {
        broken.push({ page, href, reason: "missing page" });
        continue;
      }
      if (fragment !== undefined && fragment !== "" && !(ids.get(target)?.has(fragment) ?? false)) {
        broken.push({ page, href, reason: "missing anchor" });
      }
    }
  }
  return broken;
}

/**
 * Ids used more than once on a page (a heading and an API section with the same slug, for
 * instance), as `page#id`: links to them would be ambiguous.
 *
 * @example
 * ```ts
 * findDuplicateIds(new Map([["a.html", '<h2 id="x"></h2><h3 id="x"></h3>']])); // ["a.html#x"]
 * ```
 */
export function findDuplicateIds(files: ReadonlyMap<string, string>): string[] {
  const duplicates: string[] = [];
  for (const [path, html] of files) {
    if (!path.endsWith(".html")) continue;
    const seen = new Set<string>();
    for (const match of html.matchAll(ID)) {
      const id = unescapeAttribute(match[1]!);
      if (seen.has(id)) duplicates.push(`${path}#${id}`);
      seen.add(id);
    }
  }
  return duplicates;
}
