import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { EXIT, runCli } from "../run-cli.js";
import { captureIo } from "./capture-io.js";
import { REPO } from "./small-run.js";

/**
 * Runs `tunekit args` in-process (in `cwd`, default the repository root, with `stdin` when
 * given) and expects exit code `expected` (stderr is the failure message); returns stdout and stderr.
 *
 * @example
 * ```ts
 * const { out } = await cliRun(["generate", model, "--prompt-ids", "1,2", "--json"]);
 * ```
 */
export async function cliRun(
  args: string[],
  expected: number = EXIT.ok,
  options: { readonly cwd?: string; readonly stdin?: string | undefined } = {},
): Promise<{ out: string; err: string }> {
  const { stdin } = options;
  const io = {
    ...captureIo({ cwd: options.cwd ?? REPO }),
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
  };
  const code = await runCli(args, io);
  expect(code, io.err()).toBe(expected);
  return { out: io.out(), err: io.err() };
}

/**
 * A temporary folder for one test file: made (then `setup` run on it) before its tests,
 * removed after them. Read `path` inside tests and hooks.
 *
 * @example
 * ```ts
 * const tmp = testDir("tunekit-generate-");
 * it("writes", async () => { await writeFile(join(tmp.path, "a.txt"), "a"); });
 * ```
 */
export function testDir(prefix: string, setup?: (dir: string) => Promise<void>): { readonly path: string } {
  let path = "";
  beforeAll(async () => {
    path = await mkdtemp(join(tmpdir(), prefix));
    await setup?.(path);
  });
  afterAll(async () => {
    await rm(path, { recursive: true, force: true });
  });
  return {
    get path() {
      return path;
    },
  };
}
