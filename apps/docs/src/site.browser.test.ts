import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIST_DIR, DOCS_DIR } from "./build.js";
import { findBrokenSiteLinks } from "./site-links.js";
import { type StaticServer, serveStatic } from "./static-server.js";

// Debian's chromium (`apt-get install -y chromium`; .ci/run installs it in CI).
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = join(DOCS_DIR, "screenshots");

describe("the built documentation site in Chromium", () => {
  let server: StaticServer;
  let browser: BrowserContext;
  let profile: string;
  const errors: string[] = [];

  beforeAll(async () => {
    // `npm test` builds the site first (turbo build); build it here when it is missing.
    if (!existsSync(join(DIST_DIR, "index.html"))) {
      const built = spawnSync("npm", ["run", "build"], { cwd: DOCS_DIR, stdio: "inherit" });
      expect(built.status, "npm run build -w @tunekit/docs").toBe(0);
    }
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await serveStatic(DIST_DIR);
    profile = mkdtempSync(join(tmpdir(), "tunekit-docs-chromium-"));
    // A fresh profile each run (playwright passes it to chromium as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  async function open(path: string, shot: string): Promise<Page> {
    const page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${path}: console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${path}: ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push(`${path}: HTTP ${r.status()} ${r.url()}`);
    });
    const response = await page.goto(server.url + path, { waitUntil: "networkidle" });
    expect(response?.status(), path).toBe(200);
    await page.screenshot({ path: join(SCREENSHOTS, `${shot}.png`), fullPage: false });
    return page;
  }

  it("has no broken internal link or anchor in any page", () => {
    const broken = findBrokenSiteLinks(DIST_DIR);
    expect(broken.map((b) => `${b.page}: ${b.href} (${b.reason})`)).toEqual([]);
  });

  it("shows the home page, a guide with highlighted code and an API page with type links", async () => {
    const home = await open("/", "home");
    await expect(home.locator(".VPHero .name").textContent()).resolves.toContain("tunekit");

    const guide = await open("/guide/lora-own-model.html", "guide-lora-own-model");
    await expect(guide.locator("h1").first().textContent()).resolves.toContain("LoRA on your own model");
    expect(await guide.locator("div[class*='language-ts'] pre.shiki span").count()).toBeGreaterThan(20);
    // inline code naming an export links to its API page
    expect(await guide.locator(".vp-doc a[href*='/api/@tunekit/'] code").count()).toBeGreaterThan(0);

    const api = await open("/api/@tunekit/core/classes/Trainer.html", "api-trainer");
    await expect(api.locator("h1").first().textContent()).resolves.toContain("Trainer");
    expect(await api.locator(".vp-doc a[href*='interfaces/TrainerOptions']").count()).toBeGreaterThan(0);
    await expect(api.locator(".vp-doc").textContent()).resolves.toContain("Defined in:");
    expect(errors).toEqual([]);
  }, 60_000);

  it("finds an API entry and a guide with the search box", async () => {
    const page = await open("/guide/getting-started.html", "search-before");
    await page.locator(".VPNavBarSearch button").click();
    await page.locator("#localsearch-input").fill("targetModules");
    const results = page.locator("#localsearch-list .result");
    await results.first().waitFor({ timeout: 10_000 });
    const found = await results.allTextContents();
    expect(
      found.some((t) => t.includes("TargetModules")),
      found.join(" | "),
    ).toBe(true); // an API entry
    expect(
      found.some((t) => t.includes("LoRA on your own model")),
      found.join(" | "),
    ).toBe(true); // a guide
    await page.screenshot({ path: join(SCREENSHOTS, "search-results.png") });
    await page.locator("#localsearch-input").fill("Trainer");
    await page.locator("#localsearch-list .result").first().waitFor({ timeout: 10_000 });
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/(api|guide)\//, { timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 60_000);
});
