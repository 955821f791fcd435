import { API_KIND_ORDER, type ApiEntryPoint, type ApiExport, type ApiKind } from "./api-model.js";
import { escapeHtml } from "./html.js";
import { renderBlockMarkdown, renderInlineMarkdown } from "./markdown.js";
import type { DocComment } from "./tsdoc-parse.js";

/**
 * Resolves a `{@link Name}` or `{@link Name.member}` target to an href from the current
 * page, or `undefined`.
 */
export type LinkResolver = (name: string) => string | undefined;

const KIND_HEADINGS: Record<ApiKind, string> = {
  function: "Functions",
  class: "Classes",
  const: "Constants",
  enum: "Enums",
  interface: "Interfaces",
  type: "Types",
  namespace: "Namespaces",
};

/**
 * The HTML id of an export's section: `api-<name>` for the main entry point,
 * `api-<subpath>-<name>` for others (`api-testing-checkParityFolder`).
 *
 * @example
 * ```ts
 * apiAnchor("./testing", "describeParity"); // "api-testing-describeParity"
 * ```
 */
export function apiAnchor(subpath: string, name?: string): string {
  const prefix =
    subpath === "." ? "api" : `api-${subpath.replace(/^\.\//, "").replace(/[^A-Za-z0-9]+/g, "-")}`;
  return name === undefined ? prefix : `${prefix}-${name}`;
}

/**
 * Replaces `{@link Name}`, `{@link Name | text}` and `{@link Name text}` with HTML links
 * (code-formatted names), or with plain code when the target is unknown.
 *
 * @example
 * ```ts
 * replaceInlineLinks("See {@link adamw}.", (n) => `#api-${n}`); // 'See <a href="#api-adamw"><code>adamw</code></a>.'
 * ```
 */
export function replaceInlineLinks(text: string, resolve: LinkResolver): string {
  return text.replace(
    /\{@(?:link|linkcode|linkplain)\s+([^\s|}]+)\s*(?:\|\s*)?([^}]*)\}/g,
    (_m, target, label) => {
      const name = String(target);
      const shown =
        String(label).trim() === "" ? `<code>${escapeHtml(name)}</code>` : escapeHtml(String(label).trim());
      if (/^https?:/.test(name)) return `<a href="${escapeHtml(name)}">${shown}</a>`;
      const href = resolve(name.replace("#", "."));
      return href === undefined ? shown : `<a href="${escapeHtml(href)}">${shown}</a>`;
    },
  );
}

function inline(text: string, resolve: LinkResolver): string {
  return renderInlineMarkdown(replaceInlineLinks(text, resolve));
}

function block(text: string, resolve: LinkResolver): string {
  return renderBlockMarkdown(replaceInlineLinks(text, resolve));
}

function codeBlock(code: string, className: string): string {
  return `<pre class="${className}"><code class="language-ts">${escapeHtml(code)}</code></pre>\n`;
}

function renderDoc(doc: DocComment, resolve: LinkResolver): string {
  let html = "";
  if (doc.deprecated !== undefined) {
    html += `<p class="deprecated"><strong>Deprecated.</strong> ${inline(doc.deprecated, resolve)}</p>\n`;
  }
  if (doc.summary !== "") html += `<div class="summary">${block(doc.summary, resolve)}</div>\n`;
  if (doc.remarks !== "") html += `<div class="remarks">${block(doc.remarks, resolve)}</div>\n`;
  if (doc.params.length > 0) {
    html += `<h4>Parameters</h4>\n<dl class="params">\n`;
    for (const p of doc.params) {
      html += `<dt><code>${escapeHtml(p.name)}</code></dt><dd>${inline(p.text, resolve)}</dd>\n`;
    }
    html += "</dl>\n";
  }
  if (doc.returns !== "") html += `<h4>Returns</h4>\n<p>${inline(doc.returns, resolve)}</p>\n`;
  for (const tag of doc.tags) {
    if (tag.text === "" || tag.tag === "internal") continue;
    html += `<p class="tag"><strong>@${escapeHtml(tag.tag)}</strong> ${inline(tag.text, resolve)}</p>\n`;
  }
  return html;
}

/**
 * The HTML id of a member's entry: `<export anchor>.<member>` (`api-Module.namedParameters`).
 * Only the first member of a name gets it (overloads and get/set pairs share one).
 *
 * @example
 * ```ts
 * memberAnchor(".", "Module", "namedParameters"); // "api-Module.namedParameters"
 * ```
 */
export function memberAnchor(subpath: string, exportName: string, member: string): string {
  return `${apiAnchor(subpath, exportName)}.${member}`;
}

function renderMembers(item: ApiExport, subpath: string, resolve: LinkResolver): string {
  if (item.members.length === 0) return "";
  let html = `<h4>Members</h4>\n<dl class="members">\n`;
  const named = new Set<string>();
  for (const m of item.members) {
    const id = named.has(m.name) ? "" : ` id="${escapeHtml(memberAnchor(subpath, item.name, m.name))}"`;
    named.add(m.name);
    html += `<dt${id}><code>${escapeHtml(m.signature)}</code></dt>`;
    html += `<dd>${m.doc === undefined || m.doc.summary === "" ? "" : inline(m.doc.summary, resolve)}</dd>\n`;
  }
  return html + "</dl>\n";
}

/**
 * The section of one export: name and kind, signatures, summary, remarks, parameters,
 * returns, members, examples and the source file and line.
 *
 * @example
 * ```ts
 * renderApiExport(entry.exports[0], ".", (name) => `#api-${name}`); // '<section class="api-item" id="api-add">...'
 * ```
 */
export function renderApiExport(item: ApiExport, subpath: string, resolve: LinkResolver): string {
  const id = apiAnchor(subpath, item.name);
  let html = `<section class="api-item" id="${escapeHtml(id)}">\n`;
  html += `<h3><a class="anchor" href="#${escapeHtml(id)}">${escapeHtml(item.name)}</a>`;
  html += ` <span class="kind kind-${item.kind}">${item.kind}</span>`;
  if (item.typeOnly && item.kind !== "interface" && item.kind !== "type")
    html += ` <span class="kind">type-only</span>`;
  html += "</h3>\n";
  for (const sig of item.signatures) html += codeBlock(sig, "signature");
  if (item.doc === undefined) html += `<p class="undocumented">No doc comment yet.</p>\n`;
  else html += renderDoc(item.doc, resolve);
  html += renderMembers(item, subpath, resolve);
  const examples = item.doc?.examples ?? [];
  examples.forEach((example, i) => {
    html += `<h4>${examples.length > 1 ? `Example ${i + 1}` : "Example"}</h4>\n`;
    if (example.caption !== "") html += `<p>${inline(example.caption, resolve)}</p>\n`;
    html += `<pre class="example"><code class="language-${escapeHtml(example.lang)}">${escapeHtml(example.code)}</code></pre>\n`;
  });
  html += `<p class="source">Source: <code>${escapeHtml(item.source.file)}:${item.source.line}</code></p>\n`;
  return html + "</section>\n";
}

/**
 * The API reference of one entry point: a heading with the import specifier, an index of
 * exports grouped by kind, then one section per export in that order.
 *
 * @example
 * ```ts
 * const html = renderApiEntryPoint(api, resolve); // '<h2 id="api">API reference: @tunekit/core</h2>...'
 * ```
 */
export function renderApiEntryPoint(entry: ApiEntryPoint, resolve: LinkResolver): string {
  const id = apiAnchor(entry.subpath);
  let html = `<h2 id="${escapeHtml(id)}">API reference: <code>${escapeHtml(entry.specifier)}</code></h2>\n`;
  html += `<p class="entry-meta">${entry.exports.length} exports from <code>${escapeHtml(entry.file)}</code>.</p>\n`;
  if (entry.exports.length === 0) return html + "<p>This entry point exports nothing yet.</p>\n";
  const groups = API_KIND_ORDER.map((kind) => ({
    kind,
    items: entry.exports.filter((e) => e.kind === kind),
  })).filter((g) => g.items.length > 0);
  html += `<nav class="api-index" aria-label="Exports of ${escapeHtml(entry.specifier)}">\n`;
  for (const g of groups) {
    html += `<h4>${KIND_HEADINGS[g.kind]}</h4>\n<ul class="names">`;
    for (const item of g.items) {
      const anchor = apiAnchor(entry.subpath, item.name);
      html += `<li><a href="#${escapeHtml(anchor)}">${escapeHtml(item.name)}</a></li>`;
    }
    html += "</ul>\n";
  }
  html += "</nav>\n";
  for (const g of groups) for (const item of g.items) html += renderApiExport(item, entry.subpath, resolve);
  return html;
}
