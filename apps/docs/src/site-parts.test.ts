import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchChartSvg } from "./bench-chart.js";
import { rewriteForSite, siteRouteOf } from "./import-pages.js";
import { apiLinkTable, apiNameOf, compactApiSidebar } from "./inline-code-links.js";
import { findBrokenSiteLinks } from "./site-links.js";

describe("imported repository pages", () => {
  it("map repository links to site routes and keep the rest as text", () => {
    expect(siteRouteOf("docs/backends.md")).toBe("/guide/backends");
    expect(siteRouteOf("packages/cli")).toBe("/guide/cli");
    expect(siteRouteOf("packages/backend-onnx/README.md")).toBe("/api/@tunekit/backend-onnx/");
    expect(siteRouteOf("scripts/bench.ts")).toBeUndefined();
    const page = [
      "# Title",
      "See [backends](backends.md#which-one-to-use), [onnx](../packages/backend-onnx/README.md#performance),",
      "[the script](../scripts/bench.ts), [web](https://example.org) and <dir> {{ x }} `a <b> {{ c }}`.",
      "```sh",
      "tunekit train <config> # [not](a-link.md)",
      "```",
    ].join("\n");
    expect(
      rewriteForSite("[cfg](../examples/a.json) [x](../examples/b.json)", "docs/x.md", (p) =>
        p === "examples/a.json" ? "/files/examples/a.json" : undefined,
      ),
    ).toBe("[cfg](/files/examples/a.json) x");
    expect(rewriteForSite(page, "docs/architecture.md").split("\n")).toEqual([
      "See [backends](/guide/backends#which-one-to-use), [onnx](/api/@tunekit/backend-onnx/),",
      "the script, [web](https://example.org) and &lt;dir> &#123;&#123; x }} `a <b> {{ c }}`.",
      "```sh",
      "tunekit train <config> # [not](a-link.md)",
      "```",
    ]);
  });
});

describe("links from inline code to the API", () => {
  const sidebar = [
    {
      text: "@tunekit/strategies",
      link: "/api/@tunekit/strategies/",
      items: [
        { text: "Functions", items: [{ text: "lora", link: "/api/@tunekit/strategies/functions/lora.md" }] },
      ],
    },
    {
      text: "@tunekit/core",
      link: "/api/@tunekit/core/",
      items: [
        {
          text: "Data and tokenizers",
          items: [{ text: "Tokenizer", link: "/api/@tunekit/core/classes/Tokenizer.md" }],
        },
      ],
    },
    {
      text: "@tunekit/cli",
      link: "/api/@tunekit/cli/",
      items: [
        { text: "Classes", items: [{ text: "Tokenizer", link: "/api/@tunekit/cli/classes/Tokenizer.md" }] },
      ],
    },
  ];

  it("names calls, compound names and members, not plain words", () => {
    expect(
      ["lora()", "Trainer", "TrainerOptions", "Module.namedParameters", "MAX_SWEEP_JOBS"].map(apiNameOf),
    ).toEqual(["lora", "Trainer", "TrainerOptions", "Module", "MAX_SWEEP_JOBS"]);
    expect(["lora", "a + b", "query", "x.y.z()"].map(apiNameOf)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("prefers core's page for a shared name and shortens the sidebar to sections", () => {
    const table = apiLinkTable(sidebar);
    expect(table.get("lora")).toBe("/api/@tunekit/strategies/functions/lora");
    expect(table.get("Tokenizer")).toBe("/api/@tunekit/core/classes/Tokenizer");
    expect(compactApiSidebar(sidebar)[1]).toEqual({
      text: "@tunekit/core",
      link: "/api/@tunekit/core/",
      collapsed: true,
      items: [{ text: "Data and tokenizers", link: "/api/@tunekit/core/#data-and-tokenizers" }],
    });
  });
});

describe("benchmark chart", () => {
  it("draws one labelled bar per record and refuses records without tokens/s", () => {
    const svg = benchChartSvg([
      { backend: "onnx", mode: "lora", tokens_per_s: 8004 },
      { backend: "peer <b>", mode: "lora", tokens_per_s: 2152 },
    ]);
    expect(svg.match(/<rect x="70" y="\d+" width="\d+" height="18"/g)?.length).toBe(2);
    expect(svg).toContain(">8,004<");
    expect(svg).toContain("peer &lt;b&gt;");
    expect(() => benchChartSvg([])).toThrow(/no records/);
    expect(() => benchChartSvg([{ backend: "onnx", mode: "lora", tokens_per_s: Number.NaN }])).toThrow(
      /expected \{ backend, mode, tokens_per_s > 0 \}/,
    );
  });
});

describe("internal links of a built site", () => {
  it("reports missing files and anchors, and accepts clean URLs, folders and external links", () => {
    const dir = mkdtempSync(join(tmpdir(), "tunekit-site-links-"));
    try {
      mkdirSync(join(dir, "guide"));
      writeFileSync(
        join(dir, "index.html"),
        '<a href="/guide/a">a</a><a href="https://x.org/y">x</a><h2 id="top">t</h2>',
      );
      writeFileSync(
        join(dir, "guide", "a.html"),
        '<a href="../index.html#top">ok</a><a href="b.html">b</a><a href="/#nowhere">n</a><img src="/logo.svg"><a href="#here">h</a><p id="here"></p>',
      );
      expect(findBrokenSiteLinks(dir)).toEqual([
        { page: "guide/a.html", href: "b.html", reason: "no such file" },
        { page: "guide/a.html", href: "/#nowhere", reason: "no such anchor" },
        { page: "guide/a.html", href: "/logo.svg", reason: "no such file" },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
