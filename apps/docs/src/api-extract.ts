import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { TunekitError } from "@tunekit/core";
import ts from "typescript";
import {
  type ApiEntryPoint,
  type ApiExport,
  type ApiKind,
  type ApiMember,
  compareNames,
} from "./api-model.js";
import {
  callableConstSignatures,
  containerHeadOf,
  docOf,
  headOf,
  membersOf,
  printWithoutComments,
  variableSignature,
} from "./api-signature.js";
import type { DocComment } from "./tsdoc-parse.js";
import type { EntryPointSource } from "./workspace.js";

/**
 * Compiler options for extraction: the repository's `tsconfig.base.json` when there is one
 * (so `@tunekit/source` resolves workspace imports to sources), else strict ESM defaults.
 *
 * @example
 * ```ts
 * const options = compilerOptionsFor(".");
 * options.customConditions; // ["@tunekit/source"]
 * ```
 */
export function compilerOptionsFor(repoRoot: string): ts.CompilerOptions {
  const base = join(repoRoot, "tsconfig.base.json");
  const defaults: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: ["@tunekit/source"],
    strict: true,
    lib: ["lib.es2022.d.ts"],
    types: [],
  };
  if (!existsSync(base)) return { ...defaults, noEmit: true, skipLibCheck: true };
  const read = ts.readConfigFile(base, ts.sys.readFile);
  if (read.error !== undefined) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `docs: ${base}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}; expected a valid tsconfig. Fix the file.`,
    );
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, base);
  return { ...parsed.options, noEmit: true, skipLibCheck: true };
}

/**
 * One TypeScript program over all entry files, so packages that import each other are
 * read once. Only relative imports and the workspace's own packages (`localPackages`, names
 * or name prefixes such as `@tunekit/`) are resolved: third-party modules (TensorFlow.js
 * alone is 600 declaration files) are left unresolved, which makes extraction several times
 * faster. Signatures are printed from the source as written, so they do not change; only a
 * type the checker must infer from a third-party declaration would print as `any`.
 *
 * @example
 * ```ts
 * const program = createApiProgram(["packages/core/src/index.ts"], ".", ["@tunekit/"]);
 * ```
 */
export function createApiProgram(
  entryFiles: readonly string[],
  repoRoot: string,
  localPackages: readonly string[] = ["@tunekit/"],
): ts.Program {
  const options = compilerOptionsFor(repoRoot);
  const host = ts.createCompilerHost(options, true);
  const isLocal = (specifier: string) =>
    specifier.startsWith(".") ||
    specifier.startsWith("/") ||
    localPackages.some((p) => specifier === p || specifier.startsWith(p.endsWith("/") ? p : `${p}/`));
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, file) =>
    literals.map((literal) =>
      isLocal(literal.text)
        ? ts.resolveModuleName(
            literal.text,
            containingFile,
            compilerOptions,
            host,
            undefined,
            redirected,
            ts.getModeForUsageLocation(file, literal, compilerOptions),
          )
        : { resolvedModule: undefined },
    );
  return ts.createProgram({ rootNames: [...entryFiles], options, host });
}

const KIND_PRIORITY: readonly ApiKind[] = [
  "class",
  "function",
  "enum",
  "const",
  "namespace",
  "interface",
  "type",
];

function isCallableConst(decl: ts.VariableDeclaration, checker: ts.TypeChecker): boolean {
  const type = checker.getTypeAtLocation(decl);
  return (
    type.getCallSignatures().length > 0 &&
    type.getConstructSignatures().length === 0 &&
    type.getProperties().length === 0
  );
}

function kindOf(decl: ts.Declaration, checker: ts.TypeChecker): ApiKind | undefined {
  if (ts.isClassDeclaration(decl)) return "class";
  if (ts.isFunctionDeclaration(decl)) return "function";
  if (ts.isInterfaceDeclaration(decl)) return "interface";
  if (ts.isTypeAliasDeclaration(decl)) return "type";
  if (ts.isEnumDeclaration(decl)) return "enum";
  if (ts.isModuleDeclaration(decl)) return "namespace";
  if (ts.isVariableDeclaration(decl)) return isCallableConst(decl, checker) ? "function" : "const";
  return undefined;
}

function signaturesOf(decl: ts.Declaration, kind: ApiKind, checker: ts.TypeChecker): string[] {
  if (ts.isFunctionDeclaration(decl)) return [headOf(decl)];
  if (ts.isVariableDeclaration(decl)) {
    return kind === "function" ? callableConstSignatures(decl, checker) : [variableSignature(decl, checker)];
  }
  if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) return [containerHeadOf(decl)];
  if (ts.isModuleDeclaration(decl)) return [`namespace ${decl.name.getText()}`];
  return [printWithoutComments(decl)];
}

function membersOfDeclaration(decl: ts.Declaration, checker: ts.TypeChecker): ApiMember[] {
  if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) return membersOf(decl, checker);
  if (ts.isTypeAliasDeclaration(decl) && ts.isTypeLiteralNode(decl.type))
    return membersOf(decl.type, checker);
  return [];
}

function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

/**
 * Exports that are not a declaration the reference knows (`export * as ns from`, an
 * `export =` value, ...) are still listed, never dropped, so the documentation check sees
 * them: as a namespace (doc comment on the `export` statement) or as a const.
 */
function describeOtherExport(
  exported: ts.Symbol,
  target: ts.Symbol,
  repoRoot: string,
): ApiExport | undefined {
  const alias = exported.declarations?.[0];
  const decl = target.declarations?.[0] ?? alias;
  if (decl === undefined) return undefined;
  const isModule = ts.isSourceFile(decl);
  const located = isModule && alias !== undefined ? alias : decl;
  const sf = located.getSourceFile();
  const statement = alias !== undefined && ts.isNamespaceExport(alias) ? alias.parent : located;
  return {
    name: exported.name,
    kind: isModule ? "namespace" : "const",
    typeOnly: false,
    signatures: [isModule ? `namespace ${exported.name}` : printWithoutComments(decl)],
    doc: docOf(statement),
    source: {
      file: relative(repoRoot, sf.fileName).split("\\").join("/"),
      line: sf.getLineAndCharacterOfPosition(located.getStart(sf)).line + 1,
    },
    members: [],
  };
}

/** Builds the {@link ApiExport} for one exported symbol. */
function describeExport(
  exported: ts.Symbol,
  checker: ts.TypeChecker,
  repoRoot: string,
): ApiExport | undefined {
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declarations = (target.declarations ?? [])
    .map((decl) => ({ decl, kind: kindOf(decl, checker) }))
    .filter((d): d is { decl: ts.Declaration; kind: ApiKind } => d.kind !== undefined)
    .sort((a, b) => KIND_PRIORITY.indexOf(a.kind) - KIND_PRIORITY.indexOf(b.kind));
  const primary = declarations[0];
  if (primary === undefined) return describeOtherExport(exported, target, repoRoot);
  // Overloads: show the bodiless signatures, not the implementation.
  const shown = declarations.filter(
    (d) =>
      !(
        ts.isFunctionDeclaration(d.decl) &&
        d.decl.body !== undefined &&
        declarations.some((o) => ts.isFunctionDeclaration(o.decl) && o.decl.body === undefined)
      ),
  );
  let doc: DocComment | undefined;
  for (const d of declarations) {
    doc = docOf(d.decl);
    if (doc !== undefined) break;
  }
  const sf = primary.decl.getSourceFile();
  const line = sf.getLineAndCharacterOfPosition(primary.decl.getStart(sf)).line + 1;
  return {
    name: exported.name,
    kind: primary.kind,
    typeOnly: isTypeOnlyExport(exported) || (target.flags & ts.SymbolFlags.Value) === 0,
    signatures: shown.flatMap((d) => signaturesOf(d.decl, d.kind, checker)),
    doc,
    source: { file: relative(repoRoot, sf.fileName).split("\\").join("/"), line },
    members: shown.flatMap((d) => membersOfDeclaration(d.decl, checker)),
  };
}

/**
 * Reads the public API of entry points: every export of each entry file, resolved through
 * re-exports to its declaration, with kind, signatures, doc comment, members and source line.
 *
 * @example
 * ```ts
 * const [core] = extractApi([{ subpath: ".", specifier: "@tunekit/core", file }], ".");
 * core.exports.find((e) => e.name === "adamw")?.kind; // "function"
 * ```
 */
export function extractApi(
  entryPoints: readonly EntryPointSource[],
  repoRoot: string,
  program: ts.Program = createApiProgram(
    entryPoints.map((e) => e.file),
    repoRoot,
  ),
): ApiEntryPoint[] {
  const checker = program.getTypeChecker();
  return entryPoints.map((entry) => {
    const sf = program.getSourceFile(entry.file);
    const moduleSymbol = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `docs: ${entry.file} (${entry.specifier}) is not a module the TypeScript program can read; ` +
          "expected an entry file with exports. Check the package.json exports map.",
      );
    }
    const exports = checker
      .getExportsOfModule(moduleSymbol)
      .map((symbol) => describeExport(symbol, checker, repoRoot))
      .filter((e): e is ApiExport => e !== undefined)
      .sort((a, b) => compareNames(a.name, b.name));
    return {
      subpath: entry.subpath,
      specifier: entry.specifier,
      file: relative(repoRoot, entry.file).split("\\").join("/"),
      exports,
    };
  });
}
