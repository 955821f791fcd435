import type { ApiEntryPoint } from "./api-model.js";
import { docProblemOf } from "./doc-standard.js";
import { escapeHtml, relativeHref } from "./html.js";
import type { PageContent } from "./layout.js";
import { type MarkdownContext, type RenderedHeading, renderMarkdown } from "./markdown.js";
import { type LinkResolver, apiAnchor, renderApiEntryPoint } from "./render-api.js";
import type { DocumentedPackage, GuideSource } from "./site-model.js";

/**
 * Makes the link resolver of one page: `{@link}` targets and inline code that names an
 * export, preferring the given package and entry point.
 */
export type ResolverFor = (page: string, packageSlug?: string, subpath?: string) => LinkResolver;

/**
 * Makes the inline-code linker of one page (see {@link MarkdownContext.codeLink}): `called`
 * says the code was a call such as `adamw({ ... })`.
 */
export type CodeLinkFor = (
  page: string,
  packageSlug?: string,
) => (name: string, called: boolean) => string | undefined;

/** Site page of a package. */
export const packagePagePath = (slug: string): string => `packages/${slug}.html`;
/** Site page of a guide. */
export const guidePagePath = (slug: string): string => `guide/${slug}.html`;

/** Removes a leading `# Title` line so the page header is not repeated. */
function withoutTitle(markdown: string): string {
  return markdown.replace(/^\s*# [^\n]*\n/, "");
}

function toc(headings: readonly RenderedHeading[], extra: readonly { id: string; text: string }[]): string {
  const items = [...headings.filter((h) => h.depth === 2).map((h) => ({ id: h.id, text: h.text })), ...extra];
  if (items.length < 2) return "";
  let html = `<nav class="toc" aria-label="On this page"><p>On this page</p><ul>`;
  for (const item of items) html += `<li><a href="#${escapeHtml(item.id)}">${escapeHtml(item.text)}</a></li>`;
  return html + "</ul></nav>\n";
}

/**
 * Counts exports that meet the documentation standard.
 *
 * @example
 * ```ts
 * documentedCount(pkg.api); // { documented: 270, total: 278 }
 * ```
 */
export function documentedCount(api: readonly ApiEntryPoint[]): { documented: number; total: number } {
  const all = api.flatMap((e) => e.exports);
  return { documented: all.filter((e) => docProblemOf(e) === undefined).length, total: all.length };
}

/**
 * The page of one package: name, description, entry points, README (relative links
 * rewritten), then the API reference of every entry point.
 *
 * @example
 * ```ts
 * const page = renderPackagePage(pkg, ctx, resolverFor); // { path: "packages/core.html", title: "@tunekit/core", body }
 * ```
 */
export function renderPackagePage(
  pkg: DocumentedPackage,
  siteUrlOf: MarkdownContext["siteUrlOf"],
  resolverFor: ResolverFor,
  codeLinkFor?: CodeLinkFor,
): PageContent {
  const path = packagePagePath(pkg.slug);
  let body = `<h1>${escapeHtml(pkg.name)}</h1>\n`;
  if (pkg.description !== "") body += `<p class="lead">${escapeHtml(pkg.description)}</p>\n`;
  const { documented, total } = documentedCount(pkg.api);
  body += `<ul class="package-meta">`;
  body += `<li>Folder: <code>${escapeHtml(pkg.relativeDir)}</code></li>`;
  body += `<li>Install: <code>npm install ${escapeHtml(pkg.name)}</code></li>`;
  body += `<li>Documented exports: ${documented} of ${total}</li>`;
  body += "</ul>\n";
  const readme =
    pkg.readme === undefined
      ? undefined
      : renderMarkdown(withoutTitle(pkg.readme), {
          sourcePath: `${pkg.relativeDir}/README.md`,
          pagePath: path,
          siteUrlOf,
          ...(codeLinkFor === undefined ? {} : { codeLink: codeLinkFor(path, pkg.slug) }),
          reservedIds: pkg.api.flatMap((e) => [
            apiAnchor(e.subpath),
            ...e.exports.map((x) => apiAnchor(e.subpath, x.name)),
          ]),
        });
  const apiLinks = pkg.api.map((e) => ({ id: apiAnchor(e.subpath), text: `API: ${e.specifier}` }));
  body += toc(readme?.headings ?? [], apiLinks);
  body +=
    readme === undefined ? `<p class="undocumented">This package has no README yet.</p>\n` : readme.html;
  if (pkg.api.length === 0) {
    body += `<h2 id="api">API reference</h2>\n<p class="undocumented">No entry point yet (no <code>src/index.ts</code>).</p>\n`;
  }
  for (const entry of pkg.api) body += renderApiEntryPoint(entry, resolverFor(path, pkg.slug, entry.subpath));
  return { path, title: pkg.name, body };
}

/**
 * A guide page from `docs/*.md`; its title is its first `#` heading.
 *
 * @example
 * ```ts
 * renderGuidePage(guide, siteUrlOf); // { path: "guide/architecture.html", title: "Architecture", body }
 * ```
 */
export function renderGuidePage(
  guide: GuideSource,
  siteUrlOf: MarkdownContext["siteUrlOf"],
  codeLinkFor?: CodeLinkFor,
): PageContent {
  const path = guidePagePath(guide.slug);
  const rendered = renderMarkdown(guide.markdown, {
    sourcePath: guide.sourcePath,
    pagePath: path,
    siteUrlOf,
    ...(codeLinkFor === undefined ? {} : { codeLink: codeLinkFor(path) }),
  });
  // The table of contents goes right after the title.
  const titleEnd = rendered.html.startsWith("<h1") ? rendered.html.indexOf("</h1>\n") + "</h1>\n".length : 0;
  const body = rendered.html.slice(0, titleEnd) + toc(rendered.headings, []) + rendered.html.slice(titleEnd);
  return { path, title: rendered.title ?? guide.slug, body };
}

/**
 * The home page: the root README, then a table of packages (description, entry points,
 * documented exports) and the list of guides.
 *
 * @example
 * ```ts
 * renderHomePage(model.readme, model.packages, guidePages, siteUrlOf).path; // "index.html"
 * ```
 */
export function renderHomePage(
  readme: string | undefined,
  packages: readonly DocumentedPackage[],
  guides: readonly PageContent[],
  siteUrlOf: MarkdownContext["siteUrlOf"],
  codeLinkFor?: CodeLinkFor,
): PageContent {
  const path = "index.html";
  const rendered =
    readme === undefined
      ? undefined
      : renderMarkdown(readme, {
          sourcePath: "README.md",
          pagePath: path,
          siteUrlOf,
          reservedIds: ["site-packages", "site-guides"],
          ...(codeLinkFor === undefined ? {} : { codeLink: codeLinkFor(path) }),
        });
  let body = rendered?.html ?? "<h1>tunekit</h1>\n";
  body += `<h2 id="site-packages">Package reference</h2>\n<table class="packages">\n`;
  body +=
    "<thead><tr><th>package</th><th>description</th><th>entry points</th><th>documented exports</th></tr></thead>\n<tbody>\n";
  for (const pkg of packages) {
    const { documented, total } = documentedCount(pkg.api);
    const entries = pkg.api.map((e) => `<code>${escapeHtml(e.specifier)}</code>`).join("<br>") || "none yet";
    body += `<tr><td><a href="${escapeHtml(relativeHref(path, packagePagePath(pkg.slug)))}">${escapeHtml(pkg.name)}</a></td>`;
    body += `<td>${escapeHtml(pkg.description)}</td><td>${entries}</td><td>${documented} / ${total}</td></tr>\n`;
  }
  body += "</tbody>\n</table>\n";
  if (guides.length > 0) {
    body += `<h2 id="site-guides">Guides</h2>\n<ul>\n`;
    for (const g of guides)
      body += `<li><a href="${escapeHtml(relativeHref(path, g.path))}">${escapeHtml(g.title)}</a></li>\n`;
    body += "</ul>\n";
  }
  return { path, title: rendered?.title ?? "tunekit", body };
}
