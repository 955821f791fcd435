import { existsSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

/**
 * The repository root: the nearest folder at or above `from` that holds `turbo.json`.
 *
 * @example
 * ```ts
 * findRepoRoot(); // the folder holding the repository's package.json, e.g. "~/src/tunekit"
 * ```
 */
export function findRepoRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "turbo.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The parity fixtures checked when `PARITY_FIXTURES` is not set, colon-separated, relative to
 * the repository root: the shared BERT classifier and the shared Llama causal LM.
 *
 * @example
 * ```ts
 * DEFAULT_PARITY_FIXTURES.split(":"); // ["../shared/reference/bert-tiny-parity", "../shared/reference/llama-tiny-parity"]
 * ```
 */
export const DEFAULT_PARITY_FIXTURES =
  "../shared/reference/bert-tiny-parity:../shared/reference/llama-tiny-parity";

/**
 * Parity fixture folders: `PARITY_FIXTURES` (colon-separated) or {@link DEFAULT_PARITY_FIXTURES}
 * (the shared BERT and Llama fixtures). Relative paths resolve against the repository
 * root (the folder holding `turbo.json`, found upwards from the working directory), or
 * the working directory when there is no such root.
 *
 * @example
 * ```ts
 * parityFixtureFolders("fixtures/parity/qwen2-2l-h24-kv2-tied-b3-seq11"); // one absolute folder
 * ```
 */
export function parityFixtureFolders(env: string | undefined = process.env.PARITY_FIXTURES): string[] {
  const list = (env ?? DEFAULT_PARITY_FIXTURES).split(":").filter((s) => s.trim() !== "");
  const base = findRepoRoot() ?? process.cwd();
  return list.map((p) => (isAbsolute(p) ? p : resolve(base, p.trim())));
}

/**
 * The parity fixtures committed to the repository: every folder of
 * `<repo root>/fixtures/parity` that holds a `reference.safetensors` (sorted by name; see
 * its README for the shapes and the commands that made them). Empty when there is no
 * repository root.
 *
 * @example
 * ```ts
 * committedParityFixtureFolders(); // ["<repo>/fixtures/parity/bert-1l-h16-5labels-b3-seq7", ...]
 * ```
 */
export function committedParityFixtureFolders(root: string | undefined = findRepoRoot()): string[] {
  if (root === undefined) return [];
  const dir = join(root, "fixtures", "parity");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "reference.safetensors")))
    .map((e) => join(dir, e.name))
    .sort();
}
