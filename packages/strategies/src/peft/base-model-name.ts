import { readFile } from "node:fs/promises";
import { basename, isAbsolute, resolve, sep } from "node:path";

// A Hugging Face Hub repository id: `name` or `owner/name`, letters, digits, `-`, `_`, `.`
// (no leading `.` or `-`, no `..`), at most 96 characters a part, as the Hub allows.
const HUB_ID = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;

/**
 * Whether `name` reads as a Hugging Face Hub repository id (`bert-base-uncased`,
 * `prajjwal1/bert-tiny`) rather than a local path (`/models/bert`, `./bert`, `C:\bert`).
 *
 * @example
 * ```ts
 * isHubModelId("prajjwal1/bert-tiny"); // true
 * isHubModelId("/home/me/models/bert"); // false
 * ```
 */
export function isHubModelId(name: string): boolean {
  return HUB_ID.test(name) && !name.includes("..") && !isAbsolute(name);
}

/**
 * The name an adapter records as `base_model_name_or_path` for a base model loaded from the
 * local folder `dir`: the Hub id in the folder's `config.json` `_name_or_path` (what
 * transformers writes when it saves a model downloaded from the Hub), else the folder's own
 * name; for a snapshot folder of the Hugging Face cache (`models--org--name/snapshots/<commit>`)
 * the repository id `org/name`. Never the absolute path, which means nothing on another machine; PEFT users pass
 * their own copy of the base anyway, and an explicit name (`--base-model` in the CLI) wins.
 *
 * @example
 * ```ts
 * await baseModelName("/home/me/models/bert-tiny"); // "prajjwal1/bert-tiny" (from config.json), else "bert-tiny"
 * ```
 */
export async function baseModelName(dir: string): Promise<string> {
  const cached = hubCacheRepoId(dir);
  if (cached !== undefined) return cached;
  const recorded = await readFile(resolve(dir, "config.json"), "utf8").then(
    (text) => {
      try {
        const json = JSON.parse(text) as unknown;
        const name = (json as Record<string, unknown> | null)?._name_or_path;
        return typeof name === "string" ? name : undefined;
      } catch {
        return undefined; // the loader reports a broken config.json; the name falls back
      }
    },
    () => undefined,
  );
  if (recorded !== undefined && isHubModelId(recorded)) return recorded;
  return basename(resolve(dir));
}

/** `org/name` for a `huggingface_hub` cache snapshot folder `…/models--org--name/snapshots/<commit>`. */
function hubCacheRepoId(dir: string): string | undefined {
  const parts = resolve(dir).split(sep);
  const [repo, snapshots, commit] = parts.slice(-3);
  if (
    snapshots !== "snapshots" ||
    repo === undefined ||
    !repo.startsWith("models--") ||
    !/^[0-9a-f]{40}$/.test(commit ?? "")
  )
    return undefined;
  const id = repo.slice("models--".length).split("--").join("/");
  return isHubModelId(id) ? id : undefined;
}
