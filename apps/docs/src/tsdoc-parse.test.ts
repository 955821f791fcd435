import { describe, expect, it } from "vitest";
import { parseDocComment, parseExample, stripCommentMarkers } from "./tsdoc-parse.js";

describe("stripCommentMarkers", () => {
  it("removes the markers and the leading stars but keeps code indentation", () => {
    const raw = "/**\n * Summary.\n *\n * ```ts\n * if (x) {\n *   y();\n * }\n * ```\n */";
    expect(stripCommentMarkers(raw)).toBe("Summary.\n\n```ts\nif (x) {\n  y();\n}\n```");
  });
});

describe("parseDocComment", () => {
  it("reads summary, remarks, params, returns, fenced example and other tags", () => {
    const doc = parseDocComment(
      [
        "/**",
        " * Adds two numbers.",
        " * Second line.",
        " *",
        " * @remarks Exact for integers.",
        " * @param a - left operand",
        " * @param {number} b right operand",
        " * @returns the sum",
        " * @throws TunekitError when not finite",
        " * @example",
        " * ```ts",
        ' * import { add } from "@tunekit/core";',
        " * add(1, 2); // 3 @notATag",
        " * ```",
        " */",
      ].join("\n"),
    );
    expect(doc.summary).toBe("Adds two numbers.\nSecond line.");
    expect(doc.remarks).toBe("Exact for integers.");
    expect(doc.params).toEqual([
      { name: "a", text: "left operand" },
      { name: "b", text: "right operand" },
    ]);
    expect(doc.returns).toBe("the sum");
    expect(doc.tags).toEqual([{ tag: "throws", text: "TunekitError when not finite" }]);
    expect(doc.examples).toEqual([
      { code: 'import { add } from "@tunekit/core";\nadd(1, 2); // 3 @notATag', lang: "ts", caption: "" },
    ]);
    expect(doc.deprecated).toBeUndefined();
  });

  it("splits one-line comments with an inline @example code span and a caption", () => {
    const doc = parseDocComment("/** Elementwise maximum. @example `maximum(x, 0)` (ReLU) */");
    expect(doc.summary).toBe("Elementwise maximum.");
    expect(doc.examples).toEqual([{ code: "maximum(x, 0)", lang: "ts", caption: "(ReLU)" }]);
  });

  it("does not split at @ inside code spans, inline {@link} tags or words", () => {
    const doc = parseDocComment("/** Uses `@scope/pkg` and {@link Foo} (mail a@b.c). @example `f()` */");
    expect(doc.summary).toBe("Uses `@scope/pkg` and {@link Foo} (mail a@b.c).");
    expect(doc.examples.map((e) => e.code)).toEqual(["f()"]);
  });

  it("closes an unbalanced backtick at a blank line so later tags are still found", () => {
    const doc = parseDocComment("/**\n * Odd ` tick.\n *\n * @example\n * ```ts\n * g();\n * ```\n */");
    expect(doc.examples.map((e) => e.code)).toEqual(["g();"]);
  });

  it("keeps several examples, a deprecation and reports no example when there is none", () => {
    const doc = parseDocComment("/** S. @deprecated use g @example `a()` @example `b()` */");
    expect(doc.deprecated).toBe("use g");
    expect(doc.examples.map((e) => e.code)).toEqual(["a()", "b()"]);
    expect(parseDocComment("/** Only a summary. */").examples).toEqual([]);
  });
});

describe("parseExample", () => {
  it("takes the fence language and dedents bare code", () => {
    expect(parseExample("Run it:\n```sh\nnpm test\n```")).toEqual({
      code: "npm test",
      lang: "sh",
      caption: "Run it:",
    });
    expect(parseExample("\n  a();\n    b();\n")).toEqual({ code: "a();\n  b();", lang: "ts", caption: "" });
  });
});
