import { escapeHtml, relativeHref } from "./html.js";

/** One sidebar link (site-relative path, may carry a `#fragment`). */
export interface NavLink {
  readonly path: string;
  readonly title: string;
  /** Sub-links shown while the link's page is the current one. */
  readonly children?: readonly NavLink[];
}

/** The sidebar of every page: guide pages, then packages. */
export interface SiteNav {
  readonly guides: readonly NavLink[];
  readonly packages: readonly NavLink[];
}

/** One page of the site before it is wrapped in the layout. */
export interface PageContent {
  /** Site-relative output path, e.g. `packages/core.html`. */
  readonly path: string;
  /** Text of the `<title>` (the site name is appended). */
  readonly title: string;
  /** HTML of the main column. */
  readonly body: string;
}

/** Name shown in the sidebar header and page titles. */
export const SITE_NAME = "tunekit";

function renderLinks(links: readonly NavLink[], current: string): string {
  let html = "<ul>\n";
  for (const link of links) {
    const page = link.path.split("#")[0]!;
    const isCurrent = page === current;
    const attr = isCurrent && !link.path.includes("#") ? ' aria-current="page"' : "";
    html += `<li><a href="${escapeHtml(relativeHref(current, link.path))}"${attr}>${escapeHtml(link.title)}</a>`;
    if (isCurrent && link.children !== undefined && link.children.length > 0) {
      html += renderLinks(link.children, current);
    }
    html += "</li>\n";
  }
  return html + "</ul>\n";
}

/**
 * The sidebar HTML for one page: every link is relative to that page, the current page is
 * marked `aria-current="page"` and shows its sub-links.
 *
 * @example
 * ```ts
 * renderSidebar(nav, "packages/core.html"); // '<nav class="sidebar" ...><a href="../index.html">...'
 * ```
 */
export function renderSidebar(nav: SiteNav, current: string): string {
  let html = `<nav class="sidebar" aria-label="Documentation">\n`;
  html += `<p class="site-name"><a href="${escapeHtml(relativeHref(current, "index.html"))}">${SITE_NAME}</a></p>\n`;
  html += `<h2>Guide</h2>\n${renderLinks(nav.guides, current)}`;
  html += `<h2>Packages</h2>\n${renderLinks(nav.packages, current)}`;
  return html + "</nav>\n";
}

/**
 * Wraps page content in the site layout: doctype, title, the one stylesheet (relative
 * link), the sidebar and the main column. No scripts, no timestamps: same input, same bytes.
 *
 * @example
 * ```ts
 * const html = renderPage({ path: "guide/architecture.html", title: "Architecture", body: "<h1>...</h1>" }, nav);
 * ```
 */
export function renderPage(page: PageContent, nav: SiteNav): string {
  const title = page.title === SITE_NAME ? SITE_NAME : `${page.title} · ${SITE_NAME}`;
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="stylesheet" href="${escapeHtml(relativeHref(page.path, "style.css"))}">`,
    "</head>",
    "<body>",
    '<div class="layout">',
    renderSidebar(nav, page.path).trimEnd(),
    `<main class="content">\n${page.body.trimEnd()}\n</main>`,
    "</div>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
