import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { extractApi } from "./api-extract.js";
import type { ApiEntryPoint, ApiExport } from "./api-model.js";
import { findDocGaps, formatDocGaps } from "./doc-standard.js";
import { discoverPackages } from "./workspace.js";

const FIXTURE_ROOT = fileURLToPath(new URL("./fixtures/sample-repo", import.meta.url));

describe("extractApi on the fixture package", () => {
  let entries: ApiEntryPoint[];
  let byName: (name: string) => ApiExport;

  beforeAll(() => {
    const [alpha] = discoverPackages(FIXTURE_ROOT);
    entries = extractApi(alpha!.entryPoints, FIXTURE_ROOT);
    byName = (name) => {
      const found = entries[0]!.exports.find((e) => e.name === name);
      if (found === undefined) throw new Error(`no export ${name}`);
      return found;
    };
  });

  it("lists every export of each entry point, through renames and export *, sorted by name", () => {
    expect(entries.map((e) => [e.subpath, e.specifier, e.file])).toEqual([
      [".", "@fixture/alpha", "packages/alpha/src/index.ts"],
      ["./extra", "@fixture/alpha/extra", "packages/alpha/src/extra.ts"],
    ]);
    expect(entries[0]!.exports.map((e) => e.name)).toEqual([
      "addNumbers",
      "Counter",
      "CounterOptions",
      "Direction",
      "EXTRA_VALUE",
      "LIMIT",
      "mathNs",
      "Mode",
      "negate",
      "Point",
      "sum",
      "TABLE",
      "triple",
      "twice",
      "UNDOCUMENTED",
    ]);
    expect(entries[1]!.exports.map((e) => e.name)).toEqual(["EXTRA_VALUE", "TABLE"]);
  });

  it("classifies kinds, with callable consts shown as functions", () => {
    const kinds = Object.fromEntries(entries[0]!.exports.map((e) => [e.name, e.kind]));
    expect(kinds).toEqual({
      addNumbers: "function",
      Counter: "class",
      CounterOptions: "interface",
      Direction: "enum",
      EXTRA_VALUE: "const",
      LIMIT: "const",
      mathNs: "namespace",
      Mode: "type",
      negate: "function",
      Point: "type",
      sum: "function",
      TABLE: "const",
      triple: "function",
      twice: "function",
      UNDOCUMENTED: "const",
    });
    expect(byName("CounterOptions").typeOnly).toBe(true);
    expect(byName("Counter").typeOnly).toBe(false);
  });

  it("writes signatures from the source (overloads without the implementation) or the checker", () => {
    expect(byName("addNumbers").signatures).toEqual(["function addNumbers(a: number, b: number): number"]);
    expect(byName("twice").signatures).toEqual([
      "function twice(x: number): number",
      "function twice(x: readonly number[]): number[]",
    ]);
    expect(byName("negate").signatures).toEqual(["function negate(x: number): number"]);
    expect(byName("triple").signatures).toEqual(["function triple(x: number): number"]);
    expect(byName("LIMIT").signatures).toEqual(["const LIMIT: number"]);
    // A written annotation is kept, without the doc comments inside it.
    expect(byName("TABLE").signatures).toEqual(["const TABLE: {\n  readonly a: number;\n}"]);
    expect(byName("UNDOCUMENTED").signatures).toEqual(["const UNDOCUMENTED: { readonly a: 1; }"]);
    expect(byName("Counter").signatures).toEqual(["class Counter"]);
    expect(byName("Mode").signatures).toEqual(['type Mode = "up" | "down"']);
    expect(byName("Point").signatures).toEqual(["type Point = {\n  x: number;\n  y: number;\n}"]);
    expect(byName("mathNs").signatures).toEqual(["namespace mathNs"]);
    expect(byName("Direction").signatures).toEqual(["enum Direction {\n  Up = 1,\n  Down = -1\n}"]);
  });

  it("reads the TSDoc of the declaration, also for renamed re-exports", () => {
    const doc = byName("sum").doc!;
    expect(doc.summary).toBe("Adds two numbers. Uses {@link Counter} nowhere.");
    expect(doc.params.map((p) => p.name)).toEqual(["a", "b"]);
    expect(doc.returns).toBe("the sum `a + b`");
    expect(doc.examples[0]!.code).toBe(
      'import { addNumbers } from "@fixture/alpha";\naddNumbers(1, 2); // 3',
    );
    expect(byName("twice").doc!.examples[0]).toEqual({ code: "twice(2)", lang: "ts", caption: "(gives 4)" });
    expect(byName("UNDOCUMENTED").doc).toBeUndefined();
    // `export * as ns`: the doc comment of the export statement.
    expect(byName("mathNs").doc!.examples[0]!.code).toBe("mathNs.negate(1);");
    expect(byName("mathNs").source).toEqual({ file: "packages/alpha/src/index.ts", line: 13 });
    expect(byName("sum").source).toEqual({ file: "packages/alpha/src/math.ts", line: 14 });
  });

  it("lists public members only, with their own docs", () => {
    const members = byName("Counter").members.map((m) => [m.name, m.signature, m.doc?.summary ?? ""]);
    expect(members).toEqual([
      ["value", "value: number", "The current count."],
      ["ZERO", "static readonly ZERO: 0", ""],
      ["constructor", "constructor(start: number)", "Starts at `start`."],
      ["increment", "increment(): void", "Adds one."],
      ["doubled", "get doubled(): number", "Twice the count."],
    ]);
    expect(byName("CounterOptions").members.map((m) => m.signature)).toEqual([
      "readonly start: number",
      "step?: number",
    ]);
    expect(byName("Point").members.map((m) => [m.name, m.doc?.summary ?? ""])).toEqual([
      ["x", "Horizontal."],
      ["y", ""],
    ]);
  });

  it("finds the exports that break the documentation standard", () => {
    const gaps = findDocGaps(entries);
    expect(gaps).toEqual([
      {
        specifier: "@fixture/alpha",
        name: "LIMIT",
        kind: "const",
        location: "packages/alpha/src/math.ts:34",
        problem: "no @example",
      },
      {
        specifier: "@fixture/alpha",
        name: "UNDOCUMENTED",
        kind: "const",
        location: "packages/alpha/src/math.ts:36",
        problem: "no doc comment",
      },
    ]);
    expect(formatDocGaps(gaps)).toContain(
      "  UNDOCUMENTED (const): no doc comment at packages/alpha/src/math.ts:36",
    );
    expect(formatDocGaps([])).toBe("Every public export has TSDoc with an @example.");
  });
});

describe("discoverPackages", () => {
  it("reads name, description, README and entry points; keeps packages without sources", () => {
    const packages = discoverPackages(FIXTURE_ROOT);
    expect(
      packages.map((p) => [p.slug, p.name, p.description, p.readme !== undefined, p.entryPoints.length]),
    ).toEqual([
      ["alpha", "@fixture/alpha", "Alpha: a fixture package", true, 2],
      ["beta", "@fixture/beta", "Beta: no sources yet", false, 0],
    ]);
  });

  it("says what it expected when the folder is not a workspace root", () => {
    expect(() => discoverPackages(FIXTURE_ROOT, "nope")).toThrow(
      /no nope\/ folder .* expected a workspace root/,
    );
  });
});
