import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type DefaultTheme, defineConfig } from "vitepress";
import { apiLinkTable, compactApiSidebar, inlineCodeLinks } from "../../src/inline-code-links.js";

const sidebarFile = fileURLToPath(new URL("../api/typedoc-sidebar.json", import.meta.url));
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(sidebarFile)
  ? (JSON.parse(readFileSync(sidebarFile, "utf8")) as DefaultTheme.SidebarItem[])
  : [];
const apiLinks = apiLinkTable(apiSidebar);

const guides = [
  { text: "Getting started", link: "/guide/getting-started" },
  { text: "LoRA on your own model", link: "/guide/lora-own-model" },
  { text: "Choosing a strategy", link: "/guide/choosing-a-strategy" },
  {
    text: "Strategies",
    items: [
      { text: "Full fine-tuning", link: "/guide/strategies/full" },
      { text: "Frozen encoder + head", link: "/guide/strategies/head" },
      { text: "LoRA, rsLoRA, DoRA", link: "/guide/strategies/lora" },
      { text: "Bottleneck adapters", link: "/guide/strategies/adapters" },
      { text: "IA3", link: "/guide/strategies/ia3" },
      { text: "BitFit", link: "/guide/strategies/bitfit" },
      { text: "Prefix tuning", link: "/guide/strategies/prefix" },
      { text: "Prompt tuning", link: "/guide/strategies/prompt" },
      { text: "HyperFormer", link: "/guide/strategies/hyperformer" },
    ],
  },
  { text: "Backends", link: "/guide/backends" },
  { text: "File formats", link: "/guide/formats" },
  { text: "CLI reference", link: "/guide/cli" },
  { text: "Scaling out", link: "/guide/scaling-out" },
  { text: "Continuing in PyTorch", link: "/guide/continuing-in-pytorch" },
  { text: "Benchmarks", link: "/guide/benchmarks" },
  { text: "Architecture", link: "/guide/architecture" },
];

export default defineConfig({
  title: "tunekit",
  description: "Fine-tune pre-trained transformers from TypeScript, in Node.",
  srcExclude: ["data/**", "generated/**"],
  lastUpdated: false,
  // Repository files published under /files/ (public assets) are checked by the site's link
  // test (VitePress checks page links, not public assets).
  ignoreDeadLinks: [/^\/files\//],
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/logo.svg" }]],
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/getting-started" },
      { text: "API", link: "/api/" },
    ],
    sidebar: {
      "/guide/": guides,
      "/api/": [{ text: "API reference", link: "/api/", items: compactApiSidebar(apiSidebar) }],
    },
    search: {
      provider: "local",
      options: {
        // API pages are indexed by their title and summary (the text before the first
        // section), which keeps the index small and the build fast; guides in full.
        _render: (src, env, md) =>
          md.render(env.relativePath.startsWith("api/") ? (src.split(/\n## /)[0] ?? "") : src, env),
      },
    },
    outline: { level: [2, 3] },
  },
  // The local search index of about a thousand pages is one chunk of about 1 MB.
  vite: { build: { chunkSizeWarningLimit: 2048 } },
  markdown: {
    config: (md) => inlineCodeLinks(md, apiLinks),
  },
});
