import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { findBrokenLinks, findDuplicateIds } from "./link-check.js";
import { renderSite, writeSite } from "./site.js";
import { loadSiteModel, type SiteModel } from "./site-model.js";

const FIXTURE_ROOT = fileURLToPath(new URL("./fixtures/sample-repo", import.meta.url));

describe("renderSite on the fixture repository", () => {
  let model: SiteModel;
  let files: Map<string, string>;
  const page = (path: string) => {
    const html = files.get(path);
    if (html === undefined) throw new Error(`no page ${path}`);
    return html;
  };

  beforeAll(() => {
    model = loadSiteModel({ repoRoot: FIXTURE_ROOT });
    files = renderSite(model);
  });

  it("writes an index, one page per guide and per package, and one stylesheet", () => {
    expect([...files.keys()]).toEqual([
      "guide/guide.html",
      "guide/zeta.html",
      "index.html",
      "packages/alpha.html",
      "packages/beta.html",
      "style.css",
    ]);
    for (const [path, html] of files) {
      if (!path.endsWith(".html")) continue;
      expect(html.startsWith("<!doctype html>\n")).toBe(true);
      expect(html).toContain(`<link rel="stylesheet" href="${path.includes("/") ? "../" : ""}style.css">`);
      expect(html).not.toMatch(/<script/);
    }
  });

  it("has no broken internal link or anchor, and no id twice on a page", () => {
    expect(findBrokenLinks(files)).toEqual([]);
    expect(findDuplicateIds(files)).toEqual([]);
  });

  it("gives README headings that clash with API anchors another id", () => {
    // The alpha README has an "## API" heading; "api" is the id of the API reference.
    const alpha = page("packages/alpha.html");
    expect(alpha).toContain('<h2 id="api-1">API</h2>');
    expect(alpha).toContain('<h2 id="api">API reference: <code>@fixture/alpha</code></h2>');
  });

  it("rewrites README links to site pages and leaves other repository paths as text", () => {
    const home = page("index.html");
    expect(home).toContain('<a href="guide/guide.html#setup">guide</a>');
    expect(home).toContain('<a href="packages/alpha.html">alpha package</a>');
    expect(home).toContain(
      '<span class="repo-path" title="examples/run.ts (in the repository)">example</span>',
    );
    expect(home).toContain('<a href="https://example.com">the web</a>');
    expect(page("guide/guide.html")).toContain('<a href="../index.html">overview</a>');
    expect(page("guide/guide.html")).not.toContain('class="toc"'); // one section: no table of contents
    expect(page("guide/guide.html")).toContain('<a href="../packages/alpha.html">alpha</a>');
    expect(page("packages/alpha.html")).toContain('<a href="../guide/guide.html">guide</a>');
  });

  it("links inline code that names an export, except inside links and headings", () => {
    const alpha = page("packages/alpha.html");
    expect(alpha).toContain('Call <a href="#api-addNumbers"><code>addNumbers(1, 2)</code></a> or');
    expect(alpha).toContain('<a href="#api-Counter.increment"><code>Counter.increment</code></a>;');
    expect(alpha).toContain("<code>notAnExport</code> stays code");
    expect(alpha).toContain('<a href="../guide/guide.html"><code>Counter</code> inside a link</a>');
    expect(alpha).toContain('<h2 id="the-counter-class">The <code>Counter</code> class</h2>');
    const guide = page("guide/guide.html");
    expect(guide).toContain(
      'Uses <a href="../packages/alpha.html#api-addNumbers"><code>addNumbers</code></a>.',
    );
    expect(guide).toContain("a plain word such as <code>negate</code> stays code");
    expect(guide).toContain(
      'such as <a href="../packages/alpha.html#api-negate"><code>negate(2)</code></a> links',
    );
  });

  it("renders the package README once, then the API reference of each entry point", () => {
    const alpha = page("packages/alpha.html");
    expect(alpha.match(/<h1>/g)).toHaveLength(1);
    expect(alpha).toContain('<h2 id="usage">Usage</h2>');
    expect(alpha).toContain('<h2 id="api">API reference: <code>@fixture/alpha</code></h2>');
    expect(alpha).toContain('<h2 id="api-extra">API reference: <code>@fixture/alpha/extra</code></h2>');
    expect(alpha).toContain('<section class="api-item" id="api-addNumbers">');
    expect(alpha).toContain('<section class="api-item" id="api-extra-EXTRA_VALUE">');
    expect(alpha.indexOf('id="usage"')).toBeLessThan(alpha.indexOf('id="api"'));
    expect(alpha).toContain("Documented exports: 15 of 17");
  });

  it("shows signatures, params, returns, members, examples, {@link} targets and sources", () => {
    const alpha = page("packages/alpha.html");
    const section = alpha.slice(alpha.indexOf('id="api-addNumbers"'), alpha.indexOf('id="api-Counter"'));
    expect(section).toContain("function addNumbers(a: number, b: number): number");
    expect(section).toContain('Uses <a href="#api-Counter"><code>Counter</code></a> nowhere.');
    expect(section).toContain("<dt><code>a</code></dt><dd>the left operand</dd>");
    expect(section).toContain("<h4>Returns</h4>\n<p>the sum <code>a + b</code></p>");
    expect(section).toContain(
      "import { addNumbers } from &quot;@fixture/alpha&quot;;\naddNumbers(1, 2); // 3",
    );
    expect(section).toContain("Source: <code>packages/alpha/src/math.ts:14</code>");
    expect(alpha).toContain(
      '<dt id="api-Counter.doubled"><code>get doubled(): number</code></dt><dd>Twice the count.</dd>',
    );
    expect(alpha).not.toContain("secret");
    // {@link Counter.increment} goes to the member; an unknown member to the class.
    expect(alpha).toContain('<dt id="api-Counter.increment"><code>increment(): void</code></dt>');
    expect(alpha).toContain('See <a href="#api-Counter.increment"><code>Counter.increment</code></a> and');
    expect(alpha).toContain('and <a href="#api-Counter"><code>Counter.missing</code></a>.');
    expect(alpha).toContain('<p class="undocumented">No doc comment yet.</p>');
  });

  it("links every page from the sidebar, marks the current page and expands its entry points", () => {
    const beta = page("packages/beta.html");
    for (const href of [
      "../index.html",
      "../guide/guide.html",
      "../guide/zeta.html",
      "alpha.html",
      "beta.html",
    ]) {
      expect(beta).toContain(`href="${href}"`);
    }
    expect(beta).toContain('<a href="beta.html" aria-current="page">@fixture/beta</a>');
    expect(beta).toContain("No entry point yet");
    expect(beta).toContain("This package has no README yet.");
    expect(page("packages/alpha.html")).toContain(
      '<a href="alpha.html#api-extra">API: @fixture/alpha/extra</a>',
    );
    expect(page("index.html")).not.toContain("alpha.html#api-extra");
  });

  it("is deterministic: a second load and render gives the same bytes", () => {
    const again = renderSite(loadSiteModel({ repoRoot: FIXTURE_ROOT }));
    expect([...again.entries()]).toEqual([...files.entries()]);
  });

  it("writeSite replaces the output folder", () => {
    const out = mkdtempSync(join(tmpdir(), "tunekit-docs-"));
    try {
      writeFileSync(join(out, "stale.html"), "old");
      writeSite(files, out);
      expect(existsSync(join(out, "stale.html"))).toBe(false);
      expect(readFileSync(join(out, "packages", "alpha.html"), "utf8")).toBe(
        files.get("packages/alpha.html"),
      );
      expect(readFileSync(join(out, "style.css"), "utf8")).toContain(".sidebar");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("findDuplicateIds", () => {
  it("lists ids that appear twice on one page", () => {
    const files = new Map([
      ["a.html", '<h2 id="x">1</h2><h3 id="x">2</h3><p id="y"></p>'],
      ["b.html", '<h2 id="x">ok on another page</h2>'],
    ]);
    expect(findDuplicateIds(files)).toEqual(["a.html#x"]);
  });
});

describe("findBrokenLinks", () => {
  it("reports missing pages and missing anchors, ignores external links", () => {
    const files = new Map([
      [
        "a.html",
        '<h1 id="top">A</h1><a href="b.html">b</a><a href="#nope">x</a><a href="https://x.y/">w</a>',
      ],
      ["dir/c.html", '<a href="../a.html#top">ok</a><a href="../a.html#gone">bad</a>'],
    ]);
    expect(findBrokenLinks(files)).toEqual([
      { page: "a.html", href: "b.html", reason: "missing page" },
      { page: "a.html", href: "#nope", reason: "missing anchor" },
      { page: "dir/c.html", href: "../a.html#gone", reason: "missing anchor" },
    ]);
  });
});
