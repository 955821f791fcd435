import {
  Comment,
  type DeclarationReflection,
  type ProjectReflection,
  ReflectionKind,
  type SignatureReflection,
} from "typedoc";

/** Why an export falls short of the documentation standard. */
export type DocGapProblem = "no doc comment" | "no summary" | "no @example" | "empty @example";

/** One public export that lacks documentation. */
export interface DocGap {
  /** Import specifier of the entry point, e.g. `@tunekit/core/testing`. */
  readonly specifier: string;
  readonly name: string;
  /** TypeDoc's kind, e.g. `Function`, `Interface`. */
  readonly kind: string;
  /** `file:line` of the declaration, repository-relative. */
  readonly location: string;
  readonly problem: DocGapProblem;
}

/** One public export with its doc comment, as TypeDoc read it. */
export interface DocumentedExport {
  readonly specifier: string;
  readonly name: string;
  readonly kind: string;
  readonly location: string;
  /** The comment on the declaration, its first call signature, or its getter. */
  readonly comment: Comment | undefined;
}

function commentOf(item: DeclarationReflection): Comment | undefined {
  const signatures: readonly SignatureReflection[] = [
    ...(item.signatures ?? []),
    ...(item.getSignature === undefined ? [] : [item.getSignature]),
    ...(item.type?.type === "reflection" ? (item.type.declaration.signatures ?? []) : []),
  ];
  return item.comment ?? signatures.find((s) => s.comment !== undefined)?.comment;
}

/**
 * The public exports of a converted project, entry point by entry point (each TypeDoc module
 * is one entry point, named by its import specifier). Re-exports of a symbol documented in
 * another entry point are skipped: they are documented once, where they are declared.
 *
 * @example
 * ```ts
 * const { project } = await convertApi(options);
 * publicExports(project).length; // every export of every entry point
 * ```
 */
export function publicExports(project: ProjectReflection): DocumentedExport[] {
  const modules = project.getChildrenByKind(ReflectionKind.Module);
  const roots: readonly { name: string; children?: DeclarationReflection[] | undefined }[] =
    modules.length > 0 ? modules : [project];
  const found: DocumentedExport[] = [];
  for (const module of roots) {
    for (const item of module.children ?? []) {
      if (item.kindOf(ReflectionKind.Reference)) continue;
      const source = item.sources?.[0] ?? item.signatures?.[0]?.sources?.[0];
      found.push({
        specifier: module.name,
        name: item.name,
        kind: ReflectionKind.singularString(item.kind),
        location: source === undefined ? "(unknown)" : `${source.fileName}:${source.line}`,
        comment: commentOf(item),
      });
    }
  }
  return found;
}

/** The code of each `@example` block of a comment (fences kept, as Markdown). */
export function examplesOf(comment: Comment | undefined): string[] {
  return (comment?.blockTags ?? [])
    .filter((t) => t.tag === "@example")
    .map((t) => Comment.combineDisplayParts(t.content));
}

/**
 * Why one export does not meet the standard (a TSDoc comment with a summary and at least one
 * non-empty `@example`), or `undefined` when it does.
 *
 * @example
 * ```ts
 * docProblemOf(publicExports(project)[0]!.comment); // undefined, or "no @example"
 * ```
 */
export function docProblemOf(comment: Comment | undefined): DocGapProblem | undefined {
  if (comment === undefined) return "no doc comment";
  if (Comment.combineDisplayParts(comment.summary).trim() === "") return "no summary";
  const examples = examplesOf(comment);
  if (examples.length === 0) return "no @example";
  const bare = (code: string) => code.replace(/```[\w-]*/g, "").trim();
  if (examples.every((e) => bare(e) === "")) return "empty @example";
  return undefined;
}

/**
 * Checks the documentation standard over a converted project: every public export has a
 * TSDoc comment with a summary and an `@example`. Returns the exports that do not.
 *
 * @example
 * ```ts
 * const gaps = findDocGaps(project);
 * if (gaps.length > 0) console.error(formatDocGaps(gaps));
 * ```
 */
export function findDocGaps(project: ProjectReflection): DocGap[] {
  const gaps: DocGap[] = [];
  for (const item of publicExports(project)) {
    const problem = docProblemOf(item.comment);
    if (problem === undefined) continue;
    gaps.push({
      specifier: item.specifier,
      name: item.name,
      kind: item.kind,
      location: item.location,
      problem,
    });
  }
  return gaps;
}

/**
 * A readable report of documentation gaps, grouped by entry point, each line naming the
 * export, its kind, what is missing and where to add it.
 *
 * @example
 * ```ts
 * formatDocGaps(gaps);
 * // "2 public exports lack TSDoc with an @example ...:\n@tunekit/core\n  adamw (Function): no @example at packages/core/src/optim/adamw.ts:40\n..."
 * ```
 */
export function formatDocGaps(gaps: readonly DocGap[]): string {
  if (gaps.length === 0) return "Every public export has TSDoc with an @example.";
  const lines = [
    `${gaps.length} public export${gaps.length === 1 ? " lacks" : "s lack"} TSDoc with an @example ` +
      "(add a /** summary ... @example ... */ comment on the declaration):",
  ];
  let specifier = "";
  for (const gap of gaps) {
    if (gap.specifier !== specifier) {
      specifier = gap.specifier;
      lines.push(specifier);
    }
    lines.push(`  ${gap.name} (${gap.kind}): ${gap.problem} at ${gap.location}`);
  }
  return lines.join("\n");
}

/** The key of a gap in a pending list: `<specifier> <name>`, e.g. `@tunekit/cli EXIT`. */
export const gapKey = (gap: Pick<DocGap, "specifier" | "name">): string => `${gap.specifier} ${gap.name}`;

/** Gaps split by a pending list (see {@link partitionDocGaps}). */
export interface PartitionedDocGaps {
  /** Gaps not on the list: these fail the check. */
  readonly blocking: readonly DocGap[];
  /** Gaps on the list: reported, tolerated until their owners document them. */
  readonly pending: readonly DocGap[];
  /** List entries that are no longer gaps (documented or removed): delete them from the list. */
  readonly stale: readonly string[];
}

/**
 * Splits gaps by a pending list of `<specifier> <name>` keys: exports of packages still
 * being written that their owners will document. Only exact names are tolerated, so a new
 * undocumented export anywhere still fails the check.
 *
 * @example
 * ```ts
 * const { blocking, stale } = partitionDocGaps(gaps, ["@tunekit/cli EXIT"]);
 * if (blocking.length > 0) throw new Error(formatDocGaps(blocking));
 * ```
 */
export function partitionDocGaps(
  gaps: readonly DocGap[],
  pendingKeys: readonly string[],
): PartitionedDocGaps {
  const listed = new Set(pendingKeys);
  const found = new Set(gaps.map(gapKey));
  return {
    blocking: gaps.filter((g) => !listed.has(gapKey(g))),
    pending: gaps.filter((g) => listed.has(gapKey(g))),
    stale: pendingKeys.filter((k) => !found.has(k)),
  };
}
