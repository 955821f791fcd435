import ts from "typescript";
import type { ApiEntryPoint } from "./api-model.js";

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
 * The `@example` blocks written in TypeScript (`ts`, `typescript`, unfenced) that do not
 * parse, e.g. because of a `...` placeholder or a typo. Reported by the build, not enforced:
 * examples may use names they do not declare, but their syntax should be valid.
 *
 * @example
 * ```ts
 * for (const e of findExampleSyntaxErrors(entryPoints)) console.warn(`${e.name}: ${e.message}`);
 * ```
 */
export function findExampleSyntaxErrors(entryPoints: readonly ApiEntryPoint[]): ExampleSyntaxError[] {
  const errors: ExampleSyntaxError[] = [];
  for (const entry of entryPoints) {
    for (const item of entry.exports) {
      for (const example of item.doc?.examples ?? []) {
        if (example.lang !== "ts" && example.lang !== "typescript") continue;
        const message = exampleSyntaxError(example.code);
        if (message === undefined) continue;
        errors.push({
          specifier: entry.specifier,
          name: item.name,
          location: `${item.source.file}:${item.source.line}`,
          message,
        });
      }
    }
  }
  return errors;
}
