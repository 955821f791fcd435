import { Comment, CommentTag } from "typedoc";
import { describe, expect, it } from "vitest";
import type { DocumentedExport } from "./doc-standard.js";
import { exampleSyntaxError, findExampleSyntaxErrors, typescriptBlocks } from "./example-syntax.js";

describe("example syntax", () => {
  it("accepts code with undeclared names and reports syntax errors with their line", () => {
    expect(exampleSyntaxError("const { loss } = await runner.step(batch, { lr: 1e-3 });")).toBeUndefined();
    expect(exampleSyntaxError("const a = 1;\nconst b = ;")).toBe("line 2: Expression expected.");
    expect(exampleSyntaxError("f({ ... })")).toMatch(/^line 1: /);
  });

  it("reads fenced TypeScript blocks only", () => {
    expect(typescriptBlocks("```ts\nf(1)\n```\n```sh\nnpm i (\n```\n```\ng(2)\n```")).toEqual([
      "f(1)\n",
      "g(2)\n",
    ]);
  });

  it("checks every TypeScript @example of every export", () => {
    const item = (name: string, example: string): DocumentedExport => ({
      specifier: "@scope/x",
      name,
      kind: "Function",
      location: "packages/x/src/a.ts:2",
      comment: new Comment(
        [{ kind: "text", text: "Doc." }],
        [new CommentTag("@example", [{ kind: "code", text: example }])],
      ),
    });
    const items = [
      item("ok", "```ts\nf(1)\n```"),
      item("bad", "```ts\nf(1\n```"),
      item("shell", "```sh\nnpm i (\n```"),
    ];
    expect(findExampleSyntaxErrors(items)).toEqual([
      {
        specifier: "@scope/x",
        name: "bad",
        location: "packages/x/src/a.ts:2",
        message: "line 2: ')' expected.",
      },
    ]);
  });
});
