import ts from "typescript";
import type { ApiMember } from "./api-model.js";
import { type DocComment, parseDocComment } from "./tsdoc-parse.js";

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/**
 * The doc comment attached to a declaration (for a variable: to its statement), parsed.
 * The closest comment wins when there are several.
 *
 * @example
 * ```ts
 * const doc = docOf(declaration); // { summary: "Adds.", examples: [...], ... } or undefined
 * ```
 */
export function docOf(node: ts.Node): DocComment | undefined {
  const comments = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = comments[comments.length - 1];
  if (last === undefined) return undefined;
  return parseDocComment(last.getSourceFile().text.slice(last.getStart(), last.end));
}

/** Removes `export`, `default` and `declare` from the start of a declaration's text. */
function stripExportKeywords(text: string): string {
  return text.replace(/^(export\s+)?(default\s+)?(declare\s+)?/, "").trim();
}

/**
 * Source text of `node` from its first token (doc comment excluded) to `end`, with the
 * indentation of the declaration's first line removed from the following lines.
 */
function sourceSlice(node: ts.Node, end: number): string {
  const sf = node.getSourceFile();
  const start = node.getStart(sf);
  const column = sf.getLineAndCharacterOfPosition(start).character;
  const lines = sf.text.slice(start, end).trim().split(/\r?\n/);
  return lines
    .map((line, i) => (i === 0 ? line : line.replace(new RegExp(`^ {0,${column}}`), "")))
    .join("\n");
}

/** Prints a node without comments (formatting normalized by the TypeScript printer). */
export function printWithoutComments(node: ts.Node): string {
  const printed = printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile());
  // The printer indents by 4; the repository (biome) by 2.
  const reindented = printed
    .split("\n")
    .map((line) => line.replace(/^(?: {4})+/, (m) => " ".repeat(m.length / 2)))
    .join("\n");
  return stripExportKeywords(reindented).replace(/;$/, "");
}

/**
 * The text of a function-like declaration up to its body: `function f(a: number): string`,
 * `constructor(x: number)`, `get size(): number`.
 *
 * @example
 * ```ts
 * headOf(fnDeclaration); // "function add(a: number, b: number): number"
 * ```
 */
export function headOf(node: ts.SignatureDeclaration): string {
  const body = (node as { body?: ts.Node }).body;
  const end = body === undefined ? node.end : body.getStart();
  return stripExportKeywords(sourceSlice(node, end)).replace(/;$/, "");
}

/** `class X<T> extends Y implements Z` / `interface X extends Y` without the member block. */
export function containerHeadOf(node: ts.ClassDeclaration | ts.InterfaceDeclaration): string {
  const text = sourceSlice(node, node.members.pos).replace(/\{\s*$/, "");
  return stripExportKeywords(text);
}

function isPublicMember(member: ts.ClassElement | ts.TypeElement): boolean {
  if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) return false;
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  const doc = docOf(member);
  return !(doc?.tags.some((t) => t.tag === "internal" || t.tag === "hidden") ?? false);
}

function memberName(member: ts.ClassElement | ts.TypeElement): string {
  if (ts.isConstructorDeclaration(member) || ts.isConstructSignatureDeclaration(member)) return "constructor";
  if (ts.isCallSignatureDeclaration(member)) return "(call)";
  if (ts.isIndexSignatureDeclaration(member)) return "[index]";
  const name = member.name;
  if (name === undefined) return "";
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
    ? name.text
    : name.getText();
}

function propertySignature(member: ts.PropertyDeclaration, checker: ts.TypeChecker): string {
  const end = member.initializer === undefined ? member.end : member.initializer.getStart();
  let text = sourceSlice(member, end).replace(/=\s*$/, "").replace(/;$/, "").trim();
  if (member.type === undefined) {
    text += ": " + checker.typeToString(checker.getTypeAtLocation(member), member);
  }
  return text;
}

/**
 * The public members of a class or interface (or object type literal), with their own doc
 * comments. Private, protected, `#private` and `@internal` members are left out; for
 * overloaded methods only the overload signatures are listed.
 *
 * @example
 * ```ts
 * membersOf(classDeclaration, checker).map((m) => m.signature); // ["constructor(x: number)", "get size(): number"]
 * ```
 */
export function membersOf(
  node: ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeLiteralNode,
  checker: ts.TypeChecker,
): ApiMember[] {
  const members: readonly (ts.ClassElement | ts.TypeElement)[] = node.members;
  const overloaded = new Set<string>();
  for (const m of members) {
    if ((ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m)) && m.body === undefined) {
      overloaded.add(memberName(m));
    }
  }
  const result: ApiMember[] = [];
  for (const m of members) {
    if (ts.isSemicolonClassElement(m) || ts.isClassStaticBlockDeclaration(m) || !isPublicMember(m)) continue;
    const name = memberName(m);
    let signature: string;
    if (ts.isPropertyDeclaration(m)) signature = propertySignature(m, checker);
    else if (
      ts.isMethodDeclaration(m) ||
      ts.isConstructorDeclaration(m) ||
      ts.isGetAccessorDeclaration(m) ||
      ts.isSetAccessorDeclaration(m)
    ) {
      if (m.body !== undefined && overloaded.has(name)) continue;
      signature = headOf(m);
    } else signature = sourceSlice(m, m.end).replace(/[;,]$/, "");
    result.push({ name, signature, doc: docOf(m) });
  }
  return result;
}

/**
 * A callable const as a function signature: from the arrow function's own text when it has
 * one (`(a: number): number`), else from the checker (`unary("neg")` -> `(x: Tensor): Tensor`).
 *
 * @example
 * ```ts
 * callableConstSignatures(declaration, checker); // ["function add(a: TensorOrScalar, b: TensorOrScalar): Tensor"]
 * ```
 */
export function callableConstSignatures(decl: ts.VariableDeclaration, checker: ts.TypeChecker): string[] {
  const name = decl.name.getText();
  const init = decl.initializer;
  if (
    decl.type === undefined &&
    init !== undefined &&
    (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) &&
    init.type !== undefined
  ) {
    const start = ts.isFunctionExpression(init)
      ? (init.typeParameters?.pos ?? init.parameters.pos) - 1
      : init.getStart();
    const end = init.type.end;
    const text = init.getSourceFile().text.slice(start, end).trim();
    const head = ts.isArrowFunction(init) ? text.replace(/^async\s+/, "") : text;
    return [`function ${name}${head}`];
  }
  const type = checker.getTypeAtLocation(decl);
  return type
    .getCallSignatures()
    .map(
      (sig) =>
        `function ${name}${checker.signatureToString(sig, decl, ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope)}`,
    );
}

/**
 * `const NAME: Type` for a non-callable const, using the written annotation when there is one.
 *
 * @example
 * ```ts
 * variableSignature(declaration, checker); // "const ALL_OPS: readonly OpName[]"
 * ```
 */
export function variableSignature(decl: ts.VariableDeclaration, checker: ts.TypeChecker): string {
  const list = decl.parent;
  const keyword =
    ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const
      ? "const"
      : ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Let
        ? "let"
        : "var";
  const type =
    decl.type !== undefined
      ? /\/[*/]/.test(decl.type.getText())
        ? printWithoutComments(decl.type)
        : decl.type.getText()
      : checker.typeToString(
          checker.getTypeAtLocation(decl),
          decl,
          ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope,
        );
  return `${keyword} ${decl.name.getText()}: ${type}`;
}
