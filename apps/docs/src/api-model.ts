import type { DocComment } from "./tsdoc-parse.js";

/** What an export is, as shown in the API reference. */
export type ApiKind = "function" | "class" | "interface" | "type" | "enum" | "const" | "namespace";

/** Kinds in the order the API reference lists them. */
export const API_KIND_ORDER: readonly ApiKind[] = [
  "function",
  "class",
  "const",
  "enum",
  "interface",
  "type",
  "namespace",
];

/** One member of a class or interface (constructor, property, method, accessor). */
export interface ApiMember {
  readonly name: string;
  /** The member's declaration as written, without body or doc comment. */
  readonly signature: string;
  readonly doc: DocComment | undefined;
}

/** One public export of an entry point. */
export interface ApiExport {
  /** The exported name. */
  readonly name: string;
  readonly kind: ApiKind;
  /** True when the export is type-only (`export type { X }` or an interface/type alias). */
  readonly typeOnly: boolean;
  /** Declaration text (without bodies and doc comments), one per overload. */
  readonly signatures: readonly string[];
  /** The doc comment of the declaration, or `undefined` when there is none. */
  readonly doc: DocComment | undefined;
  /** Declaring file relative to the repository root, and 1-based line. */
  readonly source: { readonly file: string; readonly line: number };
  /** Public members of classes and interfaces, in declaration order. */
  readonly members: readonly ApiMember[];
}

/** The API of one entry point (`@tunekit/core`, `@tunekit/core/testing`, ...). */
export interface ApiEntryPoint {
  readonly subpath: string;
  readonly specifier: string;
  /** Source file relative to the repository root. */
  readonly file: string;
  /** Exports sorted by name (case-insensitive, then case-sensitive). */
  readonly exports: readonly ApiExport[];
}

/**
 * Orders names the way the API reference lists them: case-insensitive, ties broken
 * case-sensitively, so the output never depends on the order the compiler returns.
 *
 * @example
 * ```ts
 * ["b", "A", "a"].sort(compareNames); // ["A", "a", "b"]
 * ```
 */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
