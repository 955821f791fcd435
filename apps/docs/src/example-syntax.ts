import ts from "typescript";
import type { DocumentedExport } from "./doc-standard.js";
import { examplesOf } from "./doc-standard.js";

/** One `@example` whose TypeScript code does not parse. */
export interface ExampleSyntaxError {
  readonly specifier: string;
  readonly name: string;
  /** `file:line` of the export's declaration. */
  readonly location: string;
  /** The parser's first message, with the line inside the example. */
  readonly message: string;
}

/**
 * Parses one code snippet as TypeScript (syntax only: names need not exist) and returns the
 * first syntax error as `line N: message`, or `undefined` when it parses.
 *
 * @example
 * ```ts
 * exampleSyntaxError("const x = ;"); // "line 1: Expression expected."
 * exampleSyntaxError("add(x, 1)"); // undefined
 * ```
 */
export function exampleSyntaxError(code: string): string | undefined {
  const sf = ts.createSourceFile("example.ts", code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  // Syntax errors live on the source file; there is no public accessor without a program.
  const diagnostics =
    (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (first === undefined) return undefined;
  const line = first.start === undefined ? 1 : sf.getLineAndCharacterOfPosition(first.start).line + 1;
  return `line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, " ")}`;
}

/**
 * The TypeScript code blocks of one `@example` (fenced `ts`, `typescript` or without a
 * language; TypeDoc fences an unfenced example as `ts`).
 *
 * @example
 * ```ts
 * typescriptBlocks("```ts\nadd(1, 2)\n```"); // ["add(1, 2)\n"]
 * ```
 */
export function typescriptBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  for (const match of markdown.matchAll(/```([\w-]*)[^\n]*\n([\s\S]*?)```/g)) {
    const lang = match[1] ?? "";
    if (lang === "" || lang === "ts" || lang === "typescript") blocks.push(match[2] ?? "");
  }
  return blocks;
}

/**
 * The `@example` blocks written in TypeScript that do not parse, e.g. because of a `...`
 * placeholder or a typo. Examples may use names they do not declare, but their syntax must
 * be valid.
 *
 * @example
 * ```ts
 * for (const e of findExampleSyntaxErrors(publicExports(project))) console.warn(`${e.name}: ${e.message}`);
 * ```
 */
export function findExampleSyntaxErrors(items: readonly DocumentedExport[]): ExampleSyntaxError[] {
  const errors: ExampleSyntaxError[] = [];
  for (const item of items) {
    for (const example of examplesOf(item.comment)) {
      for (const code of typescriptBlocks(example)) {
        const message = exampleSyntaxError(code);
        if (message === undefined) continue;
        errors.push({ specifier: item.specifier, name: item.name, location: item.location, message });
      }
    }
  }
  return errors;
}
