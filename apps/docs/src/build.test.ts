import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildDocs, parseBuildArgs } from "./build.js";

const FIXTURE_ROOT = fileURLToPath(new URL("./fixtures/sample-repo", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("parseBuildArgs", () => {
  it("defaults to the repository root and apps/docs/dist", () => {
    expect(parseBuildArgs([])).toEqual({
      repoRoot: resolve(REPO_ROOT),
      outDir: resolve(REPO_ROOT, "apps/docs/dist"),
      check: false,
    });
  });

  it("reads --root, --out and --check, and names what it expected for anything else", () => {
    expect(parseBuildArgs(["--root", "/r", "--out", "/o", "--check"])).toEqual({
      repoRoot: "/r",
      outDir: "/o",
      check: true,
    });
    expect(() => parseBuildArgs(["--out"])).toThrow(/"--out"; expected --root <dir>, --out <dir> or --check/);
    expect(() => parseBuildArgs(["--fast"])).toThrow(/unknown or incomplete argument "--fast"/);
  });
});

describe("buildDocs", () => {
  it("writes the fixture site and counts the undocumented exports", () => {
    const out = mkdtempSync(join(tmpdir(), "tunekit-docs-build-"));
    try {
      const result = buildDocs({ repoRoot: FIXTURE_ROOT, outDir: out, check: true });
      expect(result).toMatchObject({ files: 6, packages: 2, exports: 17, undocumented: 2, pending: 0 });
      expect(result.report).toContain("2 public exports lack TSDoc with an @example");
      expect(result.report).toContain(
        "  UNDOCUMENTED (const): no doc comment at packages/alpha/src/math.ts:36",
      );
      for (const page of [
        "index.html",
        "packages/alpha.html",
        "packages/beta.html",
        "guide/guide.html",
        "style.css",
      ]) {
        expect(existsSync(join(out, page)), page).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
