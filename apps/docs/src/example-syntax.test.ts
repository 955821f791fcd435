import { describe, expect, it } from "vitest";
import type { ApiEntryPoint } from "./api-model.js";
import { exampleSyntaxError, findExampleSyntaxErrors } from "./example-syntax.js";
import { parseDocComment } from "./tsdoc-parse.js";

describe("example syntax", () => {
  it("accepts code with undeclared names and reports syntax errors with their line", () => {
    expect(exampleSyntaxError("const { loss } = await runner.step(batch, { lr: 1e-3 });")).toBeUndefined();
    expect(exampleSyntaxError("const a = 1;\nconst b = ;")).toBe("line 2: Expression expected.");
    expect(exampleSyntaxError("f({ ... })")).toMatch(/^line 1: /);
  });

  it("checks TypeScript examples only", () => {
    const entry: ApiEntryPoint = {
      subpath: ".",
      specifier: "@scope/x",
      file: "packages/x/src/index.ts",
      exports: [
        "/** Ok. @example `f(1)` */",
        "/** Bad. @example `f(1` */",
        "/** Shell.\n@example\n```sh\nnpm i (\n```\n*/",
      ].map((comment, i) => ({
        name: `e${i}`,
        kind: "function" as const,
        typeOnly: false,
        signatures: [],
        doc: parseDocComment(comment),
        source: { file: "packages/x/src/a.ts", line: i + 1 },
        members: [],
      })),
    };
    expect(findExampleSyntaxErrors([entry])).toEqual([
      {
        specifier: "@scope/x",
        name: "e1",
        location: "packages/x/src/a.ts:2",
        message: "line 1: ')' expected.",
      },
    ]);
  });
});
