import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TunekitError } from "@tunekit/core";
import { findDocGaps, formatDocGaps, partitionDocGaps } from "./doc-standard.js";
import { PENDING_DOC_EXPORTS } from "./doc-standard-pending.js";
import { findExampleSyntaxErrors } from "./example-syntax.js";
import { renderSite, writeSite } from "./site.js";
import { loadSiteModel } from "./site-model.js";

/** Options of one docs build. */
export interface BuildOptions {
  /** Repository root. Default: three folders up from this file (the monorepo root). */
  readonly repoRoot: string;
  /** Output folder. Default `apps/docs/dist`. */
  readonly outDir: string;
  /**
   * Fail (exit code 1) when a public export lacks TSDoc with an `@example` and is not on
   * the pending list (`doc-standard-pending.ts`).
   */
  readonly check: boolean;
}

/** What one build did. */
export interface BuildResult {
  readonly files: number;
  readonly packages: number;
  readonly exports: number;
  /** Undocumented exports not on the pending list (these fail `--check`). */
  readonly undocumented: number;
  /** Undocumented exports on the pending list. */
  readonly pending: number;
  readonly milliseconds: number;
  /**
   * The documentation-standard report (see {@link formatDocGaps}), then notes on examples
   * that do not parse (not enforced).
   */
  readonly report: string;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));

/**
 * Parses `build.ts` arguments: `--root <dir>`, `--out <dir>`, `--check`.
 *
 * @example
 * ```ts
 * parseBuildArgs(["--out", "site", "--check"]); // { repoRoot: "<the repository root>", outDir: "site", check: true }
 * ```
 */
export function parseBuildArgs(argv: readonly string[]): BuildOptions {
  let repoRoot = resolve(HERE, "../../..");
  let outDir: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--check") check = true;
    else if ((arg === "--root" || arg === "--out") && argv[i + 1] !== undefined) {
      const value = resolve(argv[++i]!);
      if (arg === "--root") repoRoot = value;
      else outDir = value;
    } else {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `docs build: unknown or incomplete argument "${arg}"; expected --root <dir>, --out <dir> or --check.`,
      );
    }
  }
  return { repoRoot, outDir: outDir ?? resolve(HERE, "../dist"), check };
}

/**
 * Builds the site: reads packages, guides and README, renders every page and writes them.
 *
 * @example
 * ```ts
 * const result = buildDocs(parseBuildArgs([]));
 * console.log(`${result.files} files in ${result.milliseconds} ms`);
 * ```
 */
export function buildDocs(options: BuildOptions): BuildResult {
  const start = performance.now();
  const model = loadSiteModel({ repoRoot: options.repoRoot });
  const files = renderSite(model);
  writeSite(files, options.outDir);
  const entryPoints = model.packages.flatMap((p) => p.api);
  const { blocking, pending, stale } = partitionDocGaps(findDocGaps(entryPoints), PENDING_DOC_EXPORTS);
  const report = [
    formatDocGaps(blocking),
    ...(pending.length > 0 ? [`Pending (doc-standard-pending.ts): ${formatDocGaps(pending)}`] : []),
    ...(stale.length > 0 ? [`Documented now, delete from doc-standard-pending.ts: ${stale.join(", ")}`] : []),
    ...findExampleSyntaxErrors(entryPoints).map(
      (e) => `Note: the @example of ${e.specifier} ${e.name} (${e.location}) does not parse: ${e.message}`,
    ),
  ].join("\n");
  return {
    files: files.size,
    packages: model.packages.length,
    exports: entryPoints.reduce((n, e) => n + e.exports.length, 0),
    undocumented: blocking.length,
    pending: pending.length,
    milliseconds: Math.round(performance.now() - start),
    report,
  };
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const options = parseBuildArgs(process.argv.slice(2));
  const result = buildDocs(options);
  console.log(
    `docs: wrote ${result.files} files (${result.packages} packages, ${result.exports} exports) ` +
      `to ${options.outDir} in ${result.milliseconds} ms`,
  );
  console.warn(result.report);
  if (result.undocumented > 0 && options.check) process.exitCode = 1;
}
