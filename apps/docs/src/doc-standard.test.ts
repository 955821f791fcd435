import { describe, expect, it } from "vitest";
import type { ApiEntryPoint, ApiExport } from "./api-model.js";
import { docProblemOf, findDocGaps, formatDocGaps, partitionDocGaps } from "./doc-standard.js";
import { parseDocComment } from "./tsdoc-parse.js";

const item = (name: string, comment: string | undefined): ApiExport => ({
  name,
  kind: "const",
  typeOnly: false,
  signatures: [`const ${name}: number`],
  doc: comment === undefined ? undefined : parseDocComment(comment),
  source: { file: "packages/x/src/a.ts", line: 3 },
  members: [],
});

const entry: ApiEntryPoint = {
  subpath: ".",
  specifier: "@scope/x",
  file: "packages/x/src/index.ts",
  exports: [
    item("A", "/** Documented. @example `A + 1` */"),
    item("B", undefined),
    item("C", "/** @example `C` */"),
    item("D", "/** Summary only. */"),
    item("E", "/** Empty example. @example ``` ``` */"),
  ],
};

describe("documentation standard", () => {
  it("requires a summary and a non-empty @example", () => {
    expect(entry.exports.map(docProblemOf)).toEqual([
      undefined,
      "no doc comment",
      "no summary",
      "no @example",
      "empty @example",
    ]);
    expect(findDocGaps([entry]).map((g) => `${g.name}: ${g.problem} at ${g.location}`)).toEqual([
      "B: no doc comment at packages/x/src/a.ts:3",
      "C: no summary at packages/x/src/a.ts:3",
      "D: no @example at packages/x/src/a.ts:3",
      "E: empty @example at packages/x/src/a.ts:3",
    ]);
  });

  it("tolerates exactly the pending names and lists stale entries", () => {
    const gaps = findDocGaps([entry]);
    const { blocking, pending, stale } = partitionDocGaps(gaps, [
      "@scope/x B",
      "@scope/x D",
      "@scope/x A",
      "@other Z",
    ]);
    expect(blocking.map((g) => g.name)).toEqual(["C", "E"]);
    expect(pending.map((g) => g.name)).toEqual(["B", "D"]);
    expect(stale).toEqual(["@scope/x A", "@other Z"]);
    expect(formatDocGaps(blocking).split("\n")).toEqual([
      "2 public exports lack TSDoc with an @example (add a /** summary ... @example ... */ comment on the declaration):",
      "@scope/x",
      "  C (const): no summary at packages/x/src/a.ts:3",
      "  E (const): empty @example at packages/x/src/a.ts:3",
    ]);
  });
});
