import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TunekitError } from "@tunekit/core";
import { convertApi } from "./api-docs.js";
import { type BenchRecord, benchChartSvg } from "./bench-chart.js";
import { findDocGaps, formatDocGaps, partitionDocGaps, publicExports } from "./doc-standard.js";
import { PENDING_DOC_EXPORTS } from "./doc-standard-pending.js";
import { findExampleSyntaxErrors } from "./example-syntax.js";
import { writeImportedPages } from "./import-pages.js";
import { discoverPackages } from "./workspace.js";

/** Options of one docs build. */
export interface BuildOptions {
  /** Repository root. Default: three folders up from this file (the monorepo root). */
  readonly repoRoot: string;
  /** Generate the API Markdown and the chart only; skip the VitePress build. */
  readonly apiOnly: boolean;
  /** Fail on TypeDoc warnings (unexported types in public signatures, broken `{@link}`s). */
  readonly strict: boolean;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The docs package folder (`apps/docs`). */
export const DOCS_DIR = resolve(HERE, "..");
/** The VitePress source folder. */
export const SITE_DIR = join(DOCS_DIR, "site");
/** Where the built site is written. */
export const DIST_DIR = join(DOCS_DIR, "dist");

/**
 * Parses `build.ts` arguments: `--root <dir>`, `--api-only`, `--strict`.
 *
 * @example
 * ```ts
 * parseBuildArgs(["--api-only"]); // { repoRoot: "<the repository root>", apiOnly: true, strict: false }
 * ```
 */
export function parseBuildArgs(argv: readonly string[]): BuildOptions {
  let repoRoot = resolve(DOCS_DIR, "../..");
  let apiOnly = false;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--api-only") apiOnly = true;
    else if (arg === "--strict") strict = true;
    else if (arg === "--root" && argv[i + 1] !== undefined) repoRoot = resolve(argv[++i]!);
    else {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `docs build: unknown or incomplete argument "${arg}"; expected --root <dir>, --api-only or --strict.`,
      );
    }
  }
  return { repoRoot, apiOnly, strict };
}

const seconds = (start: number): string => `${((performance.now() - start) / 1000).toFixed(1)} s`;

/**
 * Builds the site: TypeDoc Markdown for every package entry point (failing when a public
 * export lacks TSDoc with an `@example`, or an example does not parse), the benchmark chart,
 * then VitePress into `apps/docs/dist`.
 *
 * @example
 * ```ts
 * await buildDocs(parseBuildArgs(process.argv.slice(2)));
 * ```
 */
export async function buildDocs(options: BuildOptions): Promise<void> {
  const start = performance.now();
  const packages = discoverPackages(options.repoRoot);
  const apiDir = join(SITE_DIR, "api");
  rmSync(apiDir, { recursive: true, force: true });
  const { app, project } = await convertApi({
    repoRoot: options.repoRoot,
    packages,
    workDir: join(DOCS_DIR, ".typedoc"),
    outDir: apiDir,
    docsRoot: SITE_DIR,
    sourceLinkTemplate: process.env.TUNEKIT_DOCS_SOURCE_URL || undefined,
    warningsAsErrors: options.strict,
  });
  const items = publicExports(project);
  const { blocking, pending, stale } = partitionDocGaps(findDocGaps(project), PENDING_DOC_EXPORTS);
  const syntax = findExampleSyntaxErrors(items);
  console.log(
    `docs: ${items.length} public exports in ${project.children?.length ?? 0} entry points (TypeDoc ${seconds(start)})`,
  );
  if (pending.length > 0) console.log(`docs: ${pending.length} exports on the pending list`);
  if (stale.length > 0) console.log(`docs: delete from doc-standard-pending.ts: ${stale.join(", ")}`);
  const problems: string[] = [];
  // TypeDoc itself only enforces treatWarningsAsErrors in its CLI, so --strict checks here.
  if (options.strict && app.logger.hasWarnings()) {
    problems.push(
      "TypeDoc reported warnings (see above); --strict treats them as errors. Fix what they name.",
    );
  }
  if (blocking.length > 0) problems.push(formatDocGaps(blocking));
  if (syntax.length > 0) {
    problems.push(
      `${syntax.length} @example blocks do not parse as TypeScript:\n` +
        syntax.map((e) => `  ${e.specifier} ${e.name} at ${e.location}: ${e.message}`).join("\n"),
    );
  }
  if (problems.length > 0) throw new TunekitError("INVALID_ARGUMENT", `docs: ${problems.join("\n")}`);
  await app.generateOutputs(project);
  if (app.logger.hasErrors() || (options.strict && app.logger.hasWarnings())) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      "docs: TypeDoc reported errors, or warnings under --strict (see above).",
    );
  }
  const bench = JSON.parse(readFileSync(join(SITE_DIR, "data", "bench.json"), "utf8")) as BenchRecord[];
  writeImportedPages(options.repoRoot, SITE_DIR);
  mkdirSync(join(SITE_DIR, "public"), { recursive: true });
  writeFileSync(join(SITE_DIR, "public", "bench-tokens.svg"), benchChartSvg(bench));
  console.log(`docs: API Markdown and chart written (${seconds(start)})`);
  if (options.apiOnly) return;
  const { build } = await import("vitepress");
  // VitePress links `<cwd>/node_modules/vue` for the build when vue is not there; the
  // repository root has it, so nothing is linked into the docs package.
  process.chdir(options.repoRoot);
  await build(SITE_DIR, { outDir: DIST_DIR });
  console.log(`docs: site built in ${DIST_DIR} (${seconds(start)})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildDocs(parseBuildArgs(process.argv.slice(2))).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
