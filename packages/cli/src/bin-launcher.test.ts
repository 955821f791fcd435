import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// `npx tunekit` at the repository root runs node_modules/.bin/tunekit, which npm links at
// `npm ci` time only when the bin's file exists then. dist/ is built after `npm ci`, so the bin
// is a committed launcher (bin/tunekit.js) that imports dist/bin.js.
const CLI = fileURLToPath(new URL("../", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

async function launcherIn(withDist: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunekit-bin-"));
  await mkdir(join(dir, "bin"));
  await copyFile(join(CLI, "bin/tunekit.js"), join(dir, "bin/tunekit.js"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  if (withDist) {
    await mkdir(join(dir, "dist"));
    await writeFile(
      join(dir, "dist/bin.js"),
      'process.stdout.write("ran " + process.argv.slice(2).join(" "));\n',
    );
  }
  return join(dir, "bin/tunekit.js");
}

describe("the tunekit bin", () => {
  it("is a committed, executable file outside dist/, the same in package.json and the lock", async () => {
    const pkg = JSON.parse(await readFile(join(CLI, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(pkg.bin).toEqual({ tunekit: "./bin/tunekit.js" });
    expect(pkg.files).toContain("bin");
    const launcher = join(CLI, pkg.bin.tunekit!);
    expect((await stat(launcher)).mode & 0o111).not.toBe(0);
    expect((await readFile(launcher, "utf8")).startsWith("#!/usr/bin/env node\n")).toBe(true);
    // npm ci links what the lock records, not what package.json says
    const lock = JSON.parse(await readFile(join(REPO, "package-lock.json"), "utf8")) as {
      packages: Record<string, { bin?: Record<string, string> }>;
    };
    expect(lock.packages["packages/cli"]?.bin).toEqual({ tunekit: "bin/tunekit.js" });
  });

  it("runs dist/bin.js with the arguments once built", async () => {
    const launcher = await launcherIn(true);
    const { stdout } = await run(process.execPath, [launcher, "info", "--json"]);
    expect(stdout).toBe("ran info --json");
  });

  it("says to build first when dist/ is missing", async () => {
    const launcher = await launcherIn(false);
    const failed = await run(process.execPath, [launcher, "--version"]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("[NOT_BUILT]");
    expect(failed?.stderr).toContain("run `npm run build`");
  });
});
