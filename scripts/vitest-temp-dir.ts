/**
 * vitest global setup: every test run gets one temporary folder of its own, made the process's
 * `TMPDIR` before the test workers start (they, and the CLI processes tests spawn, inherit it),
 * and removed when the run ends. Tests create their scratch folders with
 * `mkdtemp(join(tmpdir(), ...))`; whatever a test leaves there (a failed test skips its own
 * cleanup, a killed run skips all of it) goes with the run instead of piling up.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  // Both projects (unit, parity) run this setup; the first one's folder serves the run.
  if (process.env.TUNEKIT_TEST_TMPDIR !== undefined) return () => {};
  const dir = mkdtempSync(join(tmpdir(), "tunekit-test-run-"));
  process.env.TUNEKIT_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
