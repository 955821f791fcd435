import type { ApiEntryPoint, ApiExport } from "./api-model.js";

/** Why an export falls short of the documentation standard. */
export type DocGapProblem = "no doc comment" | "no summary" | "no @example" | "empty @example";

/** One public export that lacks documentation. */
export interface DocGap {
  /** Import specifier of the entry point, e.g. `@tunekit/core/testing`. */
  readonly specifier: string;
  readonly name: string;
  readonly kind: ApiExport["kind"];
  /** `file:line` of the declaration, repository-relative. */
  readonly location: string;
  readonly problem: DocGapProblem;
}

/**
 * Why one export does not meet the standard (a TSDoc comment with a summary and at least one
 * non-empty `@example`), or `undefined` when it does.
 *
 * @example
 * ```ts
 * docProblemOf(api.exports[0]); // undefined, or "no @example"
 * ```
 */
export function docProblemOf(item: ApiExport): DocGapProblem | undefined {
  if (item.doc === undefined) return "no doc comment";
  if (item.doc.summary.trim() === "") return "no summary";
  if (item.doc.examples.length === 0) return "no @example";
  if (item.doc.examples.every((e) => e.code.trim() === "")) return "empty @example";
  return undefined;
}

/**
 * Checks the documentation standard over entry points: every public export has a TSDoc
 * comment with a summary and an `@example`. Returns the exports that do not, in entry-point
 * and name order.
 *
 * @example
 * ```ts
 * const gaps = findDocGaps(model.packages.flatMap((p) => p.api));
 * if (gaps.length > 0) console.error(formatDocGaps(gaps));
 * ```
 */
export function findDocGaps(entryPoints: readonly ApiEntryPoint[]): DocGap[] {
  const gaps: DocGap[] = [];
  for (const entry of entryPoints) {
    for (const item of entry.exports) {
      const problem = docProblemOf(item);
      if (problem === undefined) continue;
      gaps.push({
        specifier: entry.specifier,
        name: item.name,
        kind: item.kind,
        location: `${item.source.file}:${item.source.line}`,
        problem,
      });
    }
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
 * // "2 public exports lack TSDoc with an @example:\n@tunekit/core\n  adamw (function): no @example at packages/core/src/optim/adamw.ts:40\n..."
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
