import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { TunekitError } from "@tunekit/core";
import {
  Application,
  Comment,
  CommentTag,
  type Context,
  Converter,
  type DeclarationReflection,
  type ProjectReflection,
  ReflectionKind,
  TSConfigReader,
} from "typedoc";
import type { WorkspacePackage } from "./workspace.js";

/** Options of {@link convertApi}. */
export interface ApiOptions {
  /** Repository root (holds `packages/` and, optionally, `tsconfig.base.json`). */
  readonly repoRoot: string;
  /** The packages to document (see `discoverPackages`). */
  readonly packages: readonly WorkspacePackage[];
  /** Folder for the generated tsconfig TypeDoc reads. */
  readonly workDir: string;
  /** Markdown output folder (inside the VitePress source folder `docsRoot`). */
  readonly outDir: string;
  /** The VitePress source folder, so that sidebar links are rooted there. */
  readonly docsRoot: string;
  /**
   * URL template of source links, e.g.
   * `https://github.com/OWNER/tunekit/blob/{gitRevision}/{path}#L{line}`. Without it, each
   * symbol page says `Defined in: <file>:<line>` as text.
   */
  readonly sourceLinkTemplate?: string | undefined;
  /** Fail on any TypeDoc warning (unexported types in public signatures, broken `{@link}`s). */
  readonly warningsAsErrors?: boolean;
  /** Split an entry point's page into categories by source folder when it has at least this many exports. */
  readonly categoriesFrom?: number;
}

/**
 * Category titles of source folders, used when an entry point is split by area (see
 * {@link ApiOptions.categoriesFrom}). Folders not listed use their own name.
 *
 * @example
 * ```ts
 * AREA_TITLES.ir; // "Graph IR"
 * ```
 */
export const AREA_TITLES: Readonly<Record<string, string>> = {
  autodiff: "Autodiff",
  backend: "Backends",
  checkpoint: "Checkpoints",
  data: "Data and tokenizers",
  errors: "Errors",
  generation: "Generation",
  hub: "Hugging Face Hub",
  io: "Files and formats",
  ir: "Graph IR",
  metrics: "Metrics",
  models: "Models",
  modules: "Modules",
  optim: "Optimizers",
  strategy: "Strategies",
  tensor: "Tensors",
  testing: "Testing",
  train: "Training steps",
  trainer: "Trainer",
};

/**
 * The area of a source file: the first folder under the package's `src/`, or the file's own
 * name for files directly in `src/`, mapped through {@link AREA_TITLES}.
 *
 * @example
 * ```ts
 * areaOf("packages/core/src/optim/adamw.ts"); // "Optimizers"
 * areaOf("packages/core/src/errors.ts"); // "Errors"
 * ```
 */
export function areaOf(file: string): string {
  const normalized = file.split("\\").join("/");
  const at = normalized.lastIndexOf("/src/");
  const rest = at < 0 ? normalized : normalized.slice(at + 5);
  const first = rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : rest.replace(/\.tsx?$/, "");
  return AREA_TITLES[first] ?? first;
}

function addCategory(reflection: DeclarationReflection, title: string): void {
  const tag = new CommentTag("@category", [{ kind: "text", text: title }]);
  const owner = reflection.comment ?? reflection.signatures?.[0]?.comment;
  if (owner !== undefined) {
    if (!owner.blockTags.some((t) => t.tag === "@category")) owner.blockTags.push(tag);
    return;
  }
  reflection.comment = new Comment([], [tag]);
}

/**
 * Writes the tsconfig TypeDoc compiles: the repository's base options, the entry points as
 * files, and `paths` from each package name to its sources, so that a type from another
 * package links to its page instead of to a built `.d.ts`.
 *
 * @example
 * ```ts
 * const tsconfig = writeApiTsconfig(repoRoot, discoverPackages(repoRoot), "apps/docs/.typedoc");
 * ```
 */
export function writeApiTsconfig(
  repoRoot: string,
  packages: readonly WorkspacePackage[],
  workDir: string,
): string {
  const paths: Record<string, string[]> = {};
  const files: string[] = [];
  for (const pkg of packages) {
    for (const entry of pkg.entryPoints) {
      paths[entry.specifier] = [entry.file];
      files.push(entry.file);
    }
  }
  const base = join(repoRoot, "tsconfig.base.json");
  const config = {
    ...(existsSync(base) ? { extends: base } : {}),
    compilerOptions: {
      ...(existsSync(base)
        ? {}
        : { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true }),
      noEmit: true,
      paths,
      rootDir: repoRoot,
    },
    files,
  };
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, "tsconfig.json");
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * Runs TypeDoc over the packages' entry points (one module per entry point, named by its
 * import specifier) and returns the application and project. Entry points with at least
 * `categoriesFrom` exports are split into categories by source folder (see {@link areaOf}).
 *
 * @example
 * ```ts
 * const { app, project } = await convertApi({ repoRoot, packages, workDir, outDir, docsRoot });
 * await app.generateOutputs(project);
 * ```
 */
export async function convertApi(
  options: ApiOptions,
): Promise<{ readonly app: Application; readonly project: ProjectReflection }> {
  const entries = options.packages.flatMap((p) => p.entryPoints);
  if (entries.length === 0) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `docs: no package entry point under ${options.repoRoot}; expected packages with an exports map or src/index.ts.`,
    );
  }
  const tsconfig = writeApiTsconfig(options.repoRoot, options.packages, options.workDir);
  const template = options.sourceLinkTemplate;
  const app = await Application.bootstrapWithPlugins(
    {
      entryPoints: entries.map((e) => e.file),
      entryPointStrategy: "resolve",
      tsconfig,
      skipErrorChecking: true,
      plugin: ["typedoc-plugin-markdown", "typedoc-vitepress-theme"],
      out: options.outDir,
      // typedoc-vitepress-theme: sidebar links are rooted at the VitePress source folder.
      ...({ docsRoot: options.docsRoot } as object),
      readme: "none",
      name: "API reference",
      excludePrivate: true,
      excludeInternal: true,
      categorizeByGroup: false,
      basePath: options.repoRoot,
      displayBasePath: options.repoRoot,
      // Without a template there is no public repository URL to link to: "{gitRevision}" set
      // to "HEAD" makes TypeDoc skip its git remote lookup, and pages show file:line as text.
      ...(template === undefined ? { gitRevision: "HEAD" } : { sourceLinkTemplate: template }),
      treatWarningsAsErrors: options.warningsAsErrors ?? false,
      validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: false },
      ...({
        hideBreadcrumbs: true,
        hidePageHeader: true,
        expandObjects: false,
        parametersFormat: "table",
        interfacePropertiesFormat: "table",
        classPropertiesFormat: "table",
        typeAliasPropertiesFormat: "table",
        enumMembersFormat: "table",
        sanitizeComments: true,
        navigation: { includeCategories: true, includeGroups: true, includeFolders: false },
        sidebar: { autoConfiguration: true, pretty: false, collapsed: true },
      } as object),
    },
    [new TSConfigReader()],
  );
  const specifierOf = new Map(entries.map((e) => [resolve(e.file), e.specifier]));
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context: Context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const specifier = file === undefined ? undefined : specifierOf.get(resolve(file));
    if (specifier !== undefined) reflection.name = specifier;
  });
  const minimum = options.categoriesFrom ?? 80;
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context: Context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const children = (module.children ?? []).filter((c) => !c.kindOf(ReflectionKind.Reference));
      if (children.length < minimum) continue;
      for (const child of children) {
        const file = child.sources?.[0]?.fullFileName ?? child.signatures?.[0]?.sources?.[0]?.fullFileName;
        if (file !== undefined) addCategory(child, areaOf(relative(options.repoRoot, file)));
      }
    }
  });
  const project = await app.convert();
  if (project === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `docs: TypeDoc could not convert the packages (see its messages above); expected entry points that compile with ${tsconfig}.`,
    );
  }
  app.validate(project);
  mkdirSync(dirname(options.outDir), { recursive: true });
  return { app, project };
}
