import { relative } from "node:path";
import { isTunekitError, TunekitError } from "@tunekit/core";
import { listCheckpoints, loadTrainingCheckpoint } from "@tunekit/core/trainer";

/**
 * The checkpoint `--resume` continues from: the newest in `dir` that reads back whole. A
 * damaged newer one (a truncated or missing file) is skipped with a `warning:` line naming
 * it and why; with none valid this throws `CHECKPOINT_INVALID` listing each.
 *
 * @example
 * ```ts
 * const folder = await resumePoint("runs/x/checkpoints", note, process.cwd()); // ".../checkpoint-500"
 * ```
 */
export async function resumePoint(dir: string, note: (line: string) => void, cwd: string): Promise<string> {
  const found = (await listCheckpoints(dir)).reverse();
  const skipped: string[] = [];
  for (const c of found) {
    try {
      await loadTrainingCheckpoint(c.path);
    } catch (e) {
      if (!isTunekitError(e, "CHECKPOINT_INVALID")) throw e;
      skipped.push(`${c.name} (${e.message})`);
      continue;
    }
    if (skipped.length > 0) {
      note(
        `warning: --resume: skipped damaged checkpoint(s) ${skipped.join("; ")}; resuming from the newest valid one, ${relative(cwd, c.path) || c.path}`,
      );
    }
    return c.path;
  }
  throw new TunekitError(
    "CHECKPOINT_INVALID",
    `--resume: no valid checkpoint in ${dir}: ${skipped.join("; ")}; expected a complete checkpoint folder. ` +
      "Start over with --overwrite instead of --resume",
    { details: { dir } },
  );
}
