import type { DefaultTheme, MarkdownOptions } from "vitepress";

/** One entry of the sidebar typedoc-vitepress-theme writes (`typedoc-sidebar.json`). */
export type SidebarItem = DefaultTheme.SidebarItem;

/** The markdown-it instance VitePress passes to `markdown.config`. */
type MarkdownIt = Parameters<NonNullable<MarkdownOptions["config"]>>[0];

/** Which package's page wins when two packages export the same name. */
const PRIORITY = ["@tunekit/core/", "@tunekit/strategies/"];
const rank = (link: string): number => {
  const i = PRIORITY.findIndex((p) => link.includes(`/${p}`));
  return i < 0 ? PRIORITY.length : i;
};

/**
 * The API page of every symbol in the TypeDoc sidebar, by name (`adamw` →
 * `/api/@tunekit/core/functions/adamw`). When packages share a name, core wins, then
 * strategies.
 *
 * @example
 * ```ts
 * apiLinkTable(JSON.parse(readFileSync("site/api/typedoc-sidebar.json", "utf8"))).get("Trainer");
 * ```
 */
export function apiLinkTable(sidebar: readonly SidebarItem[]): Map<string, string> {
  const table = new Map<string, string>();
  const visit = (items: readonly SidebarItem[]): void => {
    for (const item of items) {
      if (item.items !== undefined) visit(item.items);
      else if (item.text !== undefined && item.link?.endsWith(".md") === true) {
        const link = item.link.replace(/\.md$/, "");
        const known = table.get(item.text);
        if (known === undefined || rank(link) < rank(known)) table.set(item.text, link);
      }
    }
  };
  visit(sidebar);
  return table;
}

/**
 * The API name an inline code span refers to, or `undefined`: `adamw()`, `Trainer`,
 * `TrainerOptions`, `Module.namedParameters` (the part before the dot). Plain lower-case
 * words without a call (`log`, `lora`) stay code, since they are usually config values.
 *
 * @example
 * ```ts
 * apiNameOf("adamw()"); // "adamw"
 * apiNameOf("lora"); // undefined
 * ```
 */
export function apiNameOf(code: string): string | undefined {
  const m = /^([A-Za-z_$][\w$]*)(\.[\w$]+)?(\(\))?$/.exec(code.trim());
  if (m === null) return undefined;
  const name = m[1]!;
  const called = m[3] !== undefined;
  const compound = /[A-Z]/.test(name) || name.includes("_");
  return called || compound || m[2] !== undefined ? name : undefined;
}

/**
 * A markdown-it plugin for the guides: inline code that names an API symbol links to its
 * page (see {@link apiNameOf}). Pages under `api/` are left alone (TypeDoc links them).
 *
 * @example
 * ```ts
 * defineConfig({ markdown: { config: (md) => inlineCodeLinks(md, apiLinkTable(sidebar)) } });
 * ```
 */
export function inlineCodeLinks(md: MarkdownIt, links: ReadonlyMap<string, string>): void {
  const render = md.renderer.rules.code_inline!;
  md.renderer.rules.code_inline = (tokens, idx, options, env, self) => {
    const html = render(tokens, idx, options, env, self);
    const page = (env as { relativePath?: string }).relativePath ?? "";
    if (page.startsWith("api/")) return html;
    let depth = 0;
    for (let i = 0; i < idx; i++) {
      if (tokens[i]!.type === "link_open") depth++;
      else if (tokens[i]!.type === "link_close") depth--;
    }
    if (depth > 0) return html;
    const name = apiNameOf(tokens[idx]!.content);
    const link = name === undefined ? undefined : links.get(name);
    return link === undefined ? html : `<a href="${link}">${html}</a>`;
  };
}

/** VitePress's heading slug: lower case, runs of other characters to `-`. */
const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-|-$/g, "");

/**
 * A short API sidebar: one entry per package entry point, and under it its sections (areas
 * such as "Optimizers" for core, or "Classes", "Functions", ...) linking to the headings of
 * the entry point's index page. The full per-symbol list (about a thousand links) stays on
 * the index pages, so every page does not carry it.
 *
 * @example
 * ```ts
 * compactApiSidebar(sidebar)[0]; // { text: "@tunekit/backend-onnx", link: "/api/@tunekit/backend-onnx/", items: [...] }
 * ```
 */
export function compactApiSidebar(sidebar: readonly SidebarItem[]): SidebarItem[] {
  return sidebar.map((module) => {
    const link = module.link ?? "";
    const sections = (module.items ?? []).filter((s) => s.items !== undefined && s.text !== undefined);
    return {
      text: module.text ?? link,
      link,
      collapsed: true,
      items: sections.map((s) => ({ text: s.text!, link: `${link}#${slug(s.text!)}` })),
    };
  });
}
