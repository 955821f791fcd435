import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Comment, CommentTag, type ProjectReflection } from "typedoc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertApi } from "./api-docs.js";
import {
  type DocGap,
  docProblemOf,
  findDocGaps,
  formatDocGaps,
  partitionDocGaps,
  publicExports,
} from "./doc-standard.js";
import { discoverPackages } from "./workspace.js";

const FIXTURE_ROOT = fileURLToPath(new URL("./fixtures/sample-repo", import.meta.url));

const comment = (summary: string, example?: string): Comment =>
  new Comment(
    summary === "" ? [] : [{ kind: "text", text: summary }],
    example === undefined ? [] : [new CommentTag("@example", [{ kind: "code", text: example }])],
  );

describe("documentation standard", () => {
  it("requires a comment with a summary and a non-empty @example", () => {
    expect(
      [
        comment("Documented.", "`A + 1`"),
        undefined,
        comment("", "`C`"),
        comment("Summary only."),
        comment("Empty example.", "```ts\n```"),
      ].map(docProblemOf),
    ).toEqual([undefined, "no doc comment", "no summary", "no @example", "empty @example"]);
  });

  it("tolerates exactly the pending names, lists stale entries and formats the rest", () => {
    const gap = (name: string, problem: DocGap["problem"]): DocGap => ({
      specifier: "@scope/x",
      name,
      kind: "Variable",
      location: "packages/x/src/a.ts:3",
      problem,
    });
    const gaps = [gap("B", "no doc comment"), gap("C", "no summary"), gap("D", "no @example")];
    const { blocking, pending, stale } = partitionDocGaps(gaps, ["@scope/x B", "@scope/x D", "@other Z"]);
    expect(blocking.map((g) => g.name)).toEqual(["C"]);
    expect(pending.map((g) => g.name)).toEqual(["B", "D"]);
    expect(stale).toEqual(["@other Z"]);
    expect(formatDocGaps(blocking).split("\n")).toEqual([
      "1 public export lacks TSDoc with an @example (add a /** summary ... @example ... */ comment on the declaration):",
      "@scope/x",
      "  C (Variable): no summary at packages/x/src/a.ts:3",
    ]);
  });
});

describe("the standard on a package converted by TypeDoc", () => {
  let project: ProjectReflection;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "tunekit-docs-api-"));
    ({ project } = await convertApi({
      repoRoot: FIXTURE_ROOT,
      packages: discoverPackages(FIXTURE_ROOT),
      workDir: work,
      outDir: join(work, "api"),
      docsRoot: work,
    }));
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("names each entry point by its import specifier and lists its exports once", () => {
    const items = publicExports(project);
    const of = (specifier: string) =>
      items
        .filter((i) => i.specifier === specifier)
        .map((i) => i.name)
        .sort();
    expect(of("@fixture/alpha")).toEqual(
      [
        "Counter",
        "CounterOptions",
        "Direction",
        "LIMIT",
        "Mode",
        "Point",
        "UNDOCUMENTED",
        "addNumbers",
        "mathNs",
        "negate",
        "triple",
        "twice",
      ].sort(),
    );
    // `sum` (an alias) and the `export *` of extra.ts are references to declarations documented elsewhere
    expect(of("@fixture/alpha/extra")).toEqual(["EXTRA_VALUE", "TABLE"]);
  });

  it("finds the exports without TSDoc or without an @example, with file and line", () => {
    expect(
      findDocGaps(project).map((g) => `${g.specifier} ${g.name}: ${g.problem} at ${g.location}`),
    ).toEqual([
      "@fixture/alpha LIMIT: no @example at packages/alpha/src/math.ts:34",
      "@fixture/alpha UNDOCUMENTED: no doc comment at packages/alpha/src/math.ts:36",
    ]);
  });
});
