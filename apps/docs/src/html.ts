import { posix } from "node:path";

/**
 * Escapes text for HTML element content and double-quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('a < b && "c"'); // "a &lt; b &amp;&amp; &quot;c&quot;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * A URL fragment for a heading: lower-case words joined by `-` (GitHub style, ASCII only).
 *
 * @example
 * ```ts
 * slugify("Quickstart (code)"); // "quickstart-code"
 * ```
 */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/<[^>]*>/g, "")
    .replace(/&[a-z#0-9]+;/g, "")
    .replace(/[^a-z0-9 _-]/g, "")
    .trim()
    .replace(/\s+/g, "-");
  return slug === "" ? "section" : slug;
}

/**
 * The href from one site page to another (both site-relative, posix paths), keeping a
 * `#fragment`. Pages never link with absolute paths, so the site works from `file://`.
 *
 * @example
 * ```ts
 * relativeHref("packages/core.html", "guide/architecture.html#ir"); // "../guide/architecture.html#ir"
 * ```
 */
export function relativeHref(fromPage: string, toPage: string): string {
  const [path, fragment] = toPage.split("#", 2) as [string, string | undefined];
  const target = path === "" ? posix.basename(fromPage) : posix.relative(posix.dirname(fromPage), path);
  return fragment === undefined ? target : `${target}#${fragment}`;
}
