import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const PATTERN = /^checkpoint-(\d+)$/;

/**
 * Folder name of the checkpoint written after `step` updates.
 *
 * @example
 * ```ts
 * checkpointName(200); // "checkpoint-200"
 * ```
 */
export function checkpointName(step: number): string {
  return `checkpoint-${step}`;
}

/**
 * The `checkpoint-<step>` folders in `dir`, oldest (smallest step) first; `[]` when `dir`
 * does not exist.
 *
 * @example
 * ```ts
 * const found = await listCheckpoints("runs/sst2"); // [{ name: "checkpoint-100", step: 100, path: ... }]
 * ```
 */
export async function listCheckpoints(dir: string): Promise<{ name: string; step: number; path: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && PATTERN.test(e.name))
    .map((e) => ({ name: e.name, step: Number(PATTERN.exec(e.name)![1]), path: join(dir, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * The newest checkpoint folder in `dir`, or `undefined` (for `resume: "latest"`).
 *
 * @example
 * ```ts
 * const last = await latestCheckpoint("runs/sst2"); // "runs/sst2/checkpoint-300"
 * ```
 */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  return (await listCheckpoints(dir)).at(-1)?.path;
}

/**
 * Deletes checkpoint folders in `dir` except the newest `keepLast` and the one named
 * `keep` (the best); returns the names deleted.
 *
 * @example
 * ```ts
 * await pruneCheckpoints("runs/sst2", 2, "checkpoint-100");
 * ```
 */
export async function pruneCheckpoints(
  dir: string,
  keepLast: number,
  keep: string | null,
): Promise<string[]> {
  const all = await listCheckpoints(dir);
  const kept = new Set(all.slice(Math.max(0, all.length - keepLast)).map((c) => c.name));
  if (keep !== null) kept.add(keep);
  const removed: string[] = [];
  for (const c of all) {
    if (kept.has(c.name)) continue;
    await rm(c.path, { recursive: true, force: true });
    removed.push(c.name);
  }
  return removed;
}
