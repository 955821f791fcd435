import { posix } from "node:path";
import { Marked, type Tokens } from "marked";
import { escapeHtml, relativeHref, slugify } from "./html.js";

/** Where a Markdown file comes from and where its HTML goes, for resolving relative links. */
export interface MarkdownContext {
  /** Repository-relative path of the Markdown file, e.g. `packages/core/README.md`. */
  readonly sourcePath: string;
  /** Site-relative path of the page the HTML is written to, e.g. `packages/core.html`. */
  readonly pagePath: string;
  /** Maps a repository path (no fragment) to the site page that shows it, if any. */
  readonly siteUrlOf: (repoPath: string) => string | undefined;
  /** Ids the page already uses elsewhere; headings with the same slug get a `-N` suffix. */
  readonly reservedIds?: readonly string[];
  /**
   * Href of the API section of an export (`Name` or `Name.member`; `called` when the code
   * was a call), or `undefined`: inline code that names an export (`` `TrainStepRunner` ``,
   * `` `adamw({ ... })` ``) links to it.
   */
  readonly codeLink?: (name: string, called: boolean) => string | undefined;
}

/** Inline code that names an export: an identifier, `Name.member`, optionally called. */
const CODE_NAME = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)(?:\([\s\S]*\))?$/;

/** One heading of a rendered document. */
export interface RenderedHeading {
  readonly depth: number;
  readonly text: string;
  readonly id: string;
}

/** The HTML of a Markdown document, with its headings and title (first `#` heading). */
export interface RenderedMarkdown {
  readonly html: string;
  readonly headings: readonly RenderedHeading[];
  readonly title: string | undefined;
}

/** One shared instance for doc-comment text (no link rewriting or heading ids needed). */
const plainMarked = new Marked({ gfm: true, async: false });

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * Resolves a link written in a Markdown file: external and `#fragment` links stay; relative
 * links to files the site shows become links to their pages; other repository paths return
 * `undefined` (shown as text, since the site has no page for them).
 *
 * @example
 * ```ts
 * resolveMarkdownLink("docs/architecture.md", { sourcePath: "README.md", pagePath: "index.html", siteUrlOf });
 * // "guide/architecture.html"
 * ```
 */
export function resolveMarkdownLink(href: string, ctx: MarkdownContext): string | undefined {
  if (href.startsWith("#") || EXTERNAL.test(href)) return href;
  const [path, fragment] = href.split("#", 2) as [string, string | undefined];
  const repoPath = posix.normalize(posix.join(posix.dirname(ctx.sourcePath), path)).replace(/\/$/, "");
  const page = ctx.siteUrlOf(repoPath === "." ? "" : repoPath);
  if (page === undefined) return undefined;
  return relativeHref(ctx.pagePath, fragment === undefined ? page : `${page}#${fragment}`);
}

/**
 * Renders Markdown (GitHub flavoured, via `marked`) to HTML: headings get stable ids
 * (duplicates numbered), relative links are rewritten to site pages, code blocks keep a
 * `language-*` class.
 *
 * @example
 * ```ts
 * renderMarkdown("# Title\n\nSee [arch](docs/architecture.md).", ctx).html;
 * // '<h1 id="title">Title</h1>\n<p>See <a href="guide/architecture.html">arch</a>.</p>\n'
 * ```
 */
export function renderMarkdown(markdown: string, ctx: MarkdownContext): RenderedMarkdown {
  const headings: RenderedHeading[] = [];
  const used = new Map<string, number>((ctx.reservedIds ?? []).map((id) => [id, 1]));
  const marked = new Marked({ gfm: true, async: false });
  let noCodeLinks = 0; // inside a link or a heading: no nested links
  marked.use({
    renderer: {
      codespan(token: Tokens.Codespan) {
        const name = noCodeLinks > 0 || ctx.codeLink === undefined ? null : CODE_NAME.exec(token.text);
        const href = name === null ? undefined : ctx.codeLink!(name[1]!, token.text.includes("("));
        if (href === undefined) return false;
        return `<a href="${escapeHtml(href)}"><code>${escapeHtml(token.text)}</code></a>`;
      },
      heading(
        this: { parser: { parseInline(tokens: Tokens.Heading["tokens"]): string } },
        token: Tokens.Heading,
      ) {
        noCodeLinks++;
        const inner = this.parser.parseInline(token.tokens);
        noCodeLinks--;
        const base = slugify(inner);
        const count = used.get(base) ?? 0;
        used.set(base, count + 1);
        const id = count === 0 ? base : `${base}-${count}`;
        headings.push({ depth: token.depth, text: inner.replace(/<[^>]*>/g, ""), id });
        return `<h${token.depth} id="${id}">${inner}</h${token.depth}>\n`;
      },
      link(this: { parser: { parseInline(tokens: Tokens.Link["tokens"]): string } }, token: Tokens.Link) {
        noCodeLinks++;
        const inner = this.parser.parseInline(token.tokens);
        noCodeLinks--;
        const href = resolveMarkdownLink(token.href, ctx);
        if (href === undefined) {
          return `<span class="repo-path" title="${escapeHtml(token.href)} (in the repository)">${inner}</span>`;
        }
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : "";
        return `<a href="${escapeHtml(href)}"${title}>${inner}</a>`;
      },
    },
  });
  const html = marked.parse(markdown) as string;
  return { html, headings, title: headings.find((h) => h.depth === 1)?.text };
}

/**
 * Renders one line of Markdown (doc-comment text) without a wrapping paragraph.
 *
 * @example
 * ```ts
 * renderInlineMarkdown("Elementwise `a + b`."); // "Elementwise <code>a + b</code>."
 * ```
 */
export function renderInlineMarkdown(markdown: string): string {
  return plainMarked.parseInline(markdown) as string;
}

/**
 * Renders a block of doc-comment Markdown (paragraphs, lists, code).
 *
 * @example
 * ```ts
 * renderBlockMarkdown("First.\n\nSecond."); // "<p>First.</p>\n<p>Second.</p>\n"
 * ```
 */
export function renderBlockMarkdown(markdown: string): string {
  return plainMarked.parse(markdown) as string;
}
