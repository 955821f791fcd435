import { copyFile, mkdir, readFile, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { COMMIT_HASH, type HubModelRef } from "./model-ref.js";

/**
 * Paths of one model repository in a `huggingface_hub` cache folder:
 * `models--org--name/{blobs/<etag>, snapshots/<commit>/<file>, refs/<revision>, .no_exist/<commit>/<file>}`
 * and the download locks in `.locks/models--org--name/`.
 *
 * @example
 * ```ts
 * const c = new HubRepoCache("/home/me/.cache/huggingface/hub", "BAAI/bge-small-en-v1.5");
 * c.folder; // ".../models--BAAI--bge-small-en-v1.5"
 * ```
 */
export class HubRepoCache {
  /** `models--org--name` inside the cache folder. */
  readonly folder: string;
  /** Where tunekit's download locks live (beside `huggingface_hub`'s own lock files). */
  readonly locks: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    const name = repoFolderName(repoId);
    this.folder = join(cacheDir, name);
    this.locks = join(cacheDir, ".locks", name);
  }

  /** A blob's path: `blobs/<etag>`. */
  blob(etag: string): string {
    return join(this.folder, "blobs", etag);
  }

  /** The snapshot folder of a commit: `snapshots/<commit>`. */
  snapshot(commit: string): string {
    return join(this.folder, "snapshots", commit);
  }

  /** A file in a snapshot (a relative symlink to its blob). */
  pointer(commit: string, filename: string): string {
    return join(this.snapshot(commit), ...filename.split("/"));
  }

  /**
   * The commit a revision points at: the revision itself when it is a commit hash, else the
   * content of `refs/<revision>`; `undefined` when the cache does not know it.
   */
  async commitOf(revision: string): Promise<string | undefined> {
    if (COMMIT_HASH.test(revision)) return revision;
    const text = await readFile(join(this.folder, "refs", ...revision.split("/")), "utf8").catch(
      () => undefined,
    );
    const commit = text?.trim();
    return commit !== undefined && COMMIT_HASH.test(commit) ? commit : undefined;
  }

  /** Records `refs/<revision>` = `commit` (nothing for a revision that is the commit itself). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = join(this.folder, "refs", ...revision.split("/"));
    const old = await readFile(path, "utf8").catch(() => undefined);
    if (old === commit) return;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, commit); // huggingface_hub writes the bare hash, no newline
  }

  /** Whether a snapshot has `filename` (a link to an existing blob, or a plain file). */
  async hasFile(commit: string, filename: string): Promise<boolean> {
    const s = await stat(this.pointer(commit, filename)).catch(() => undefined);
    return s?.isFile() === true;
  }

  /** Whether `.no_exist/<commit>/<filename>` records that the repository has no such file. */
  async knownMissing(commit: string, filename: string): Promise<boolean> {
    const s = await stat(join(this.folder, ".no_exist", commit, ...filename.split("/"))).catch(
      () => undefined,
    );
    return s !== undefined;
  }

  /** Records that the repository has no `filename` at `commit` (as `huggingface_hub` does). */
  async markMissing(commit: string, filename: string): Promise<void> {
    const path = join(this.folder, ".no_exist", commit, ...filename.split("/"));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, "");
  }

  /**
   * Points `snapshots/<commit>/<filename>` at `blobs/<etag>` with a relative symlink (a copy
   * where the file system has no symlinks), replacing what was there.
   */
  async link(commit: string, filename: string, etag: string): Promise<string> {
    const pointer = this.pointer(commit, filename);
    const blob = this.blob(etag);
    await mkdir(dirname(pointer), { recursive: true });
    await unlink(pointer).catch(() => undefined);
    try {
      await symlink(relative(dirname(pointer), blob), pointer);
    } catch {
      await copyFile(blob, pointer);
    }
    return pointer;
  }
}

/**
 * The cache folder name of a model repository: `models--` + the id with `/` as `--`.
 *
 * @example
 * ```ts
 * repoFolderName("BAAI/bge-small-en-v1.5"); // "models--BAAI--bge-small-en-v1.5"
 * ```
 */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split("/").join("--")}`;
}

/**
 * The snapshot folder a cached reference resolves to, or `undefined` when the cache does not
 * know the revision.
 *
 * @example
 * ```ts
 * const folder = await cachedSnapshot("/home/me/.cache/huggingface/hub", { repoId: "bert-base-uncased", revision: "main" });
 * ```
 */
export async function cachedSnapshot(cacheDir: string, ref: HubModelRef): Promise<string | undefined> {
  const cache = new HubRepoCache(cacheDir, ref.repoId);
  const commit = await cache.commitOf(ref.revision);
  if (commit === undefined) return undefined;
  const s = await stat(cache.snapshot(commit)).catch(() => undefined);
  return s?.isDirectory() === true ? cache.snapshot(commit) : undefined;
}
