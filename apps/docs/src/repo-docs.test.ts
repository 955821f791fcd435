import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { findDocGaps, formatDocGaps, partitionDocGaps } from "./doc-standard.js";
import { PENDING_DOC_EXPORTS } from "./doc-standard-pending.js";
import { findBrokenLinks, findDuplicateIds } from "./link-check.js";
import { renderSite } from "./site.js";
import { loadSiteModel, type SiteModel } from "./site-model.js";

// The real repository: every package under packages/* and every guide under docs/.
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("the tunekit repository", () => {
  let model: SiteModel;
  let files: Map<string, string>;

  beforeAll(() => {
    model = loadSiteModel({ repoRoot: REPO_ROOT });
    files = renderSite(model);
  });

  it("documentation standard: every public export of every entry point has TSDoc with an @example", () => {
    const gaps = findDocGaps(model.packages.flatMap((p) => p.api));
    // Only the exact names of in-progress packages listed in doc-standard-pending.ts are
    // tolerated. On failure the message lists each export, what is missing and its file:line.
    const { blocking } = partitionDocGaps(gaps, PENDING_DOC_EXPORTS);
    expect(blocking, formatDocGaps(blocking)).toEqual([]);
  });

  it("builds one page per package folder and one per guide", () => {
    const folders = readdirSync(join(REPO_ROOT, "packages"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(REPO_ROOT, "packages", d.name, "package.json")))
      .map((d) => d.name)
      .sort();
    expect(folders).toContain("core");
    expect(folders.map((f) => files.has(`packages/${f}.html`))).toEqual(folders.map(() => true));
    const guides = readdirSync(join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md"));
    for (const g of guides) expect(files.has(`guide/${g.replace(/\.md$/, ".html")}`), g).toBe(true);
    expect(files.has("index.html")).toBe(true);
    const architecture = files.get("guide/architecture.html")!;
    expect(architecture).toContain('<li><a href="#tracing">Tracing</a></li>'); // table of contents
    expect(architecture.indexOf('class="toc"')).toBeGreaterThan(architecture.indexOf("</h1>"));
  });

  it("documents the core API with signatures and examples", () => {
    const core = files.get("packages/core.html")!;
    expect(core).toContain('<h2 id="api">API reference: <code>@tunekit/core</code></h2>');
    expect(core).toContain('<h2 id="api-testing">API reference: <code>@tunekit/core/testing</code></h2>');
    const section = core.slice(core.indexOf('id="api-TunekitError"'));
    expect(section).toContain("class TunekitError extends Error");
    expect(section).toContain("throw new TunekitError(");
    expect(model.packages.find((p) => p.name === "@tunekit/core")!.api[0]!.exports.length).toBeGreaterThan(
      100,
    );
  });

  it("has no broken internal link or anchor", () => {
    const broken = findBrokenLinks(files);
    expect(broken, broken.map((b) => `${b.page}: ${b.href} (${b.reason})`).join("\n")).toEqual([]);
    expect(findDuplicateIds(files)).toEqual([]);
  });
});
