import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat, statfs, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TunekitError } from "@tunekit/core";
import { outputNotWritable } from "./output-errors.js";

/** Sub-folder of a run folder with the training checkpoints. */
export const CHECKPOINTS_DIR = "checkpoints";

// Unfinished writes of an interrupted run: checkpoint folders being written
// (`.checkpoint-<step>.<pid>.<id>.tmp`, `….tmp.old` while one is replaced) and files of
// `writeFileAtomic` (`.<name>.<pid>.<id>.tmp`). Not the `.tunekit-lock.*` files of a run
// that is trying to take the lock right now.
const LEFTOVER = /^\.(?!tunekit-lock\.).+\.\d+\.[0-9a-f]{8}\.tmp(\.old)?$/;
const CHECKPOINT = /^checkpoint-\d+$/;

/**
 * What {@link prepareOutputFolder} found and did.
 *
 * @example
 * ```ts
 * const { checkpoints, removedLeftovers } = await prepareOutputFolder("runs/x", { resume: true });
 * ```
 */
export interface PreparedOutput {
  /** `checkpoint-<step>` folders found (kept when resuming). */
  readonly checkpoints: readonly string[];
  /** Unfinished `.tmp` writes of an interrupted run that were removed. */
  readonly removedLeftovers: readonly string[];
}

/**
 * Gets a run folder ready before anything is trained; the caller holds its run lock (see
 * `acquireRunLock`). It removes unfinished `.tmp` writes of an interrupted run (in the folder,
 * `checkpoints/` and `model/`), then checks the checkpoints: a new run (`resume` false) refuses
 * a folder whose `checkpoints/` holds anything (`OUTPUT_EXISTS`, naming `--resume` and
 * `--overwrite`) unless `overwrite`, which deletes it. Finally it proves that `checkpoints/`
 * can be written (a probe file), else `OUTPUT_NOT_WRITABLE`.
 *
 * @example
 * ```ts
 * await prepareOutputFolder(config.output, { resume: false, overwrite: false, note });
 * ```
 */
export async function prepareOutputFolder(
  dir: string,
  o: { readonly resume: boolean; readonly overwrite?: boolean; readonly note?: (line: string) => void },
): Promise<PreparedOutput> {
  const ckptDir = join(dir, CHECKPOINTS_DIR);
  const removedLeftovers: string[] = [];
  for (const folder of [dir, ckptDir, join(dir, "model")]) {
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (!LEFTOVER.test(name)) continue;
      await rm(join(folder, name), { recursive: true, force: true });
      removedLeftovers.push(join(folder, name));
    }
  }
  if (removedLeftovers.length > 0) {
    o.note?.(
      `note: removed ${removedLeftovers.length} unfinished write(s) of an interrupted run in ${dir} (${removedLeftovers
        .slice(0, 3)
        .map((p) => p.slice(dir.length + 1))
        .join(", ")}${removedLeftovers.length > 3 ? ", …" : ""})`,
    );
  }
  const entries = (await readdir(ckptDir).catch(() => [] as string[])).sort();
  const checkpoints = entries.filter((n) => CHECKPOINT.test(n));
  if (!o.resume && entries.length > 0) {
    if (o.overwrite !== true) {
      const shown =
        entries.slice(0, 4).join(", ") + (entries.length > 4 ? `, … (${entries.length} in all)` : "");
      throw new TunekitError(
        "OUTPUT_EXISTS",
        `${ckptDir} already holds ${checkpoints.length > 0 ? "the checkpoints of an earlier run" : "files"} (${shown}); ` +
          "expected an empty checkpoints folder for a new run. Continue that run with --resume, pass --overwrite to " +
          "delete them and start over, or choose another --output",
        { details: { dir: ckptDir, entries } },
      );
    }
    await rm(ckptDir, { recursive: true, force: true });
    o.note?.(`note: --overwrite: deleted ${ckptDir} (${entries.length} entries) of an earlier run`);
  }
  try {
    await mkdir(ckptDir, { recursive: true });
    const probe = join(ckptDir, `.probe.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
    await writeFile(probe, "tunekit write probe\n", { flag: "wx" });
    await unlink(probe);
  } catch (e) {
    throw outputNotWritable(ckptDir, e);
  }
  return { checkpoints: o.resume ? checkpoints : [], removedLeftovers };
}

/**
 * Bytes a training run may need on disk: `checkpoints` checkpoint folders at once (the last,
 * the best and the one being written) of every parameter plus the trainable ones, their two
 * AdamW slots and, with gradient accumulation, their accumulators; plus the final model.
 *
 * @example
 * ```ts
 * const bytes = estimateRunBytes(model.namedParameters(), { accumulation: 1 });
 * ```
 */
export function estimateRunBytes(
  params: readonly (readonly [
    string,
    { readonly trainable: boolean; readonly value: { readonly data: { readonly byteLength: number } } },
  ])[],
  o: { readonly accumulation: number; readonly checkpoints?: number },
): { readonly total: number; readonly checkpoint: number; readonly model: number } {
  let all = 0;
  let trainable = 0;
  for (const [, p] of params) {
    all += p.value.data.byteLength;
    if (p.trainable) trainable += p.value.data.byteLength;
  }
  const checkpoint = all + trainable * (o.accumulation > 1 ? 4 : 3);
  return { total: checkpoint * (o.checkpoints ?? 3) + all, checkpoint, model: all };
}

/**
 * Checks that the disk of `dir` has `needed` bytes free (with 5% to spare), else throws
 * `OUTPUT_NOT_WRITABLE` with both numbers. `free` defaults to `statfs` (blocks available to
 * this user); a file system that cannot report it is not checked.
 *
 * @example
 * ```ts
 * await checkFreeSpace("runs/x", estimateRunBytes(params, { accumulation: 1 }).total, "3 checkpoints + the model");
 * ```
 */
export async function checkFreeSpace(
  dir: string,
  needed: number,
  what: string,
  free: (dir: string) => Promise<number | undefined> = freeBytes,
): Promise<void> {
  const available = await free(dir);
  if (available === undefined || available >= needed * 1.05) return;
  throw new TunekitError(
    "OUTPUT_NOT_WRITABLE",
    `the output folder ${dir} has ${mb(available)} free; this run needs about ${mb(needed * 1.05)} (${what}, 5% to spare). ` +
      "Free some space or pass another --output",
    { details: { dir, available, needed } },
  );
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    await stat(dir);
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
