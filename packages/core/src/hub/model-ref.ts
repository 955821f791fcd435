import { TunekitError } from "../errors.js";

/**
 * A Hugging Face Hub model repository and revision: `org/name@revision` split in two.
 *
 * @example
 * ```ts
 * const ref: HubModelRef = { repoId: "BAAI/bge-small-en-v1.5", revision: "main" };
 * ```
 */
export interface HubModelRef {
  /** `name` or `org/name`. */
  readonly repoId: string;
  /** A branch, a tag or a 40-character commit hash (default `main`). */
  readonly revision: string;
}

/** A repository id segment: letters, digits, `-`, `_`, `.`; no leading/trailing `-`/`.`, no `--` or `..`. */
const SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
const REVISION = /^[A-Za-z0-9_.\-/]{1,255}$/;
/**
 * A full git commit hash, as the Hub's `X-Repo-Commit` header sends it.
 *
 * @example
 * ```ts
 * COMMIT_HASH.test("main"); // false: a branch, resolved through refs/main
 * ```
 */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/**
 * Parses a Hub model reference: `name` or `org/name`, optionally followed by `@revision`
 * (a branch, tag or commit hash; default `main`). Throws `INVALID_ARGUMENT` naming the
 * received text and the expected form. It does not look at the file system: use
 * {@link hubReferenceOf} to decide between a local folder and a Hub reference.
 *
 * @example
 * ```ts
 * parseModelRef("bert-base-uncased@v1.0"); // { repoId: "bert-base-uncased", revision: "v1.0" }
 * ```
 */
export function parseModelRef(text: string): HubModelRef {
  const problem = refProblem(text);
  if (problem !== undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)} is not a Hugging Face model reference: ${problem}; ` +
        'expected "name" or "org/name", optionally with "@revision" (e.g. "BAAI/bge-small-en-v1.5@main")',
      { details: { received: text } },
    );
  }
  const at = text.indexOf("@");
  return at < 0
    ? { repoId: text, revision: "main" }
    : { repoId: text.slice(0, at), revision: text.slice(at + 1) };
}

function refProblem(text: string): string | undefined {
  if (text.length === 0) return "it is empty";
  const at = text.indexOf("@");
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? undefined : text.slice(at + 1);
  const parts = repo.split("/");
  if (parts.length > 2) return "a repository id has at most one '/' (org/name)";
  for (const p of parts) {
    if (!SEGMENT.test(p) || p.includes("--") || p.includes(".."))
      return `${JSON.stringify(p)} is not a valid name (letters, digits, '-', '_', '.'; at most 96 characters; no '--' or '..')`;
  }
  if (revision !== undefined) {
    if (!REVISION.test(revision) || revision.split("/").some((s) => s === "" || s === "." || s === ".."))
      return `revision ${JSON.stringify(revision)} is not a branch, tag or commit hash`;
  }
  return undefined;
}

/**
 * Decides whether a model argument names a Hub repository. The rule: a text is a Hub reference
 * when nothing exists at it on disk (`exists` is false) **and** it reads as `name` or
 * `org/name` with an optional `@revision` — so an existing folder always wins, and anything
 * that looks like a path (starts with `.`, `/` or `~`, holds `\`, has more than one `/`
 * before `@`, ends in `.json` / `.yaml` / `.yml`, or is absolute) is always a path. Returns
 * the parsed reference, or `undefined` for a local path.
 *
 * @example
 * ```ts
 * hubReferenceOf("bert-base-uncased", false); // { repoId: "bert-base-uncased", revision: "main" }
 * hubReferenceOf("./models/bert", false);     // undefined: a path
 * ```
 */
export function hubReferenceOf(text: string, exists: boolean): HubModelRef | undefined {
  if (exists || looksLikePath(text)) return undefined;
  return refProblem(text) === undefined ? parseModelRef(text) : undefined;
}

/**
 * Whether a model argument reads as a file system path (starts with `.`, `/` or `~`, holds
 * `\\` or a drive letter, has more than one `/` before `@`, or ends in `.json`, `.yaml` or
 * `.yml`): then it is never a Hub reference.
 *
 * @example
 * ```ts
 * looksLikePath("./bert"); // true
 * looksLikePath("org/bert"); // false
 * ```
 */
export function looksLikePath(text: string): boolean {
  if (text === "" || text.startsWith(".") || text.startsWith("/") || text.startsWith("~")) return true;
  if (text.includes("\\") || /^[A-Za-z]:/.test(text)) return true;
  const at = text.indexOf("@");
  const repo = at < 0 ? text : text.slice(0, at);
  // a missing config file (`train.json`, `run.yaml`) is a path, not a repository named like one
  return repo.split("/").length > 2 || /\.(json|ya?ml)$/i.test(repo);
}

/**
 * The reference as text: `org/name` for `main`, `org/name@revision` otherwise.
 *
 * @example
 * ```ts
 * formatModelRef({ repoId: "org/name", revision: "v2" }); // "org/name@v2"
 * ```
 */
export function formatModelRef(ref: HubModelRef): string {
  return ref.revision === "main" ? ref.repoId : `${ref.repoId}@${ref.revision}`;
}
