import type { ParseArgsConfig } from "node:util";
import type { CliIo } from "./cli-io.js";

/** Options shared by every command. */
export const COMMON_OPTIONS = {
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Help lines of {@link COMMON_OPTIONS}. */
export const COMMON_HELP = [
  "  --json           print one JSON object on stdout (and nothing else there)",
  "  -v, --verbose    print stack traces of errors",
  "  -h, --help       show this help",
];

/**
 * What a command gets: its positional arguments, parsed flags and the I/O.
 *
 * @example
 * ```ts
 * const run = async (ctx: CommandContext) => { ctx.io.stdout(`${ctx.positionals[0]}\n`); return 0; };
 * ```
 */
export interface CommandContext {
  readonly io: CliIo;
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly json: boolean;
  readonly verbose: boolean;
}

/**
 * One `tunekit` sub-command.
 *
 * @example
 * ```ts
 * const hello: CliCommand = { name: "hello", summary: "say hello", usage: "tunekit hello", help: [], options: {}, run: async () => 0 };
 * ```
 */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Usage line, e.g. `tunekit train CONFIG [options]`. */
  readonly usage: string;
  /** Description and option lines of `--help` (common options are appended). */
  readonly help: readonly string[];
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  /** Positional arguments: exact count, or `[min, max]`. */
  readonly positionals: number | readonly [number, number];
  /** Runs the command and returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/**
 * A usage error (bad flag, missing argument): exit code 2 with the command's usage.
 *
 * @example
 * ```ts
 * throw new UsageError("train needs a CONFIG file", "train");
 * ```
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Reads an optional flag as a positive integer, or throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * const maxSteps = intFlag(ctx, "max-steps"); // --max-steps 20 -> 20
 * ```
 */
export function intFlag(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} is ${JSON.stringify(v)}; expected a positive integer`);
  return n;
}

/**
 * Reads an optional string flag, checking it against `allowed` when given.
 *
 * @example
 * ```ts
 * const split = stringFlag(ctx, "split", ["train", "validation", "test"]);
 * ```
 */
export function stringFlag(
  ctx: CommandContext,
  name: string,
  allowed?: readonly string[],
): string | undefined {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} needs a value`);
  if (allowed !== undefined && !allowed.includes(v)) {
    throw new UsageError(`--${name} is ${JSON.stringify(v)}; expected one of ${allowed.join(", ")}`);
  }
  return v;
}

/**
 * One config override: the key path and the value that replaces whatever is there.
 *
 * @example
 * ```ts
 * const o: ConfigOverride = { path: ["training", "batchSize"], value: 16 };
 * ```
 */
export interface ConfigOverride {
  readonly path: readonly string[];
  readonly value: unknown;
}

/**
 * Parses `--set key.path=value` flags (values are JSON when they parse as JSON, else
 * strings). Each value replaces what is at its path, objects included.
 *
 * @example
 * ```ts
 * parseSetFlags(["training.batchSize=16", "output=runs/x"]);
 * // [{ path: ["training", "batchSize"], value: 16 }, { path: ["output"], value: "runs/x" }]
 * ```
 */
export function parseSetFlags(sets: readonly string[]): ConfigOverride[] {
  return sets.map((s) => {
    const eq = s.indexOf("=");
    const path = eq < 0 ? "" : s.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)*$/.test(path)) {
      throw new UsageError(
        `--set ${JSON.stringify(s)}: expected key.path=value, e.g. --set training.batchSize=16`,
      );
    }
    const text = s.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a plain string
    }
    return { path: path.split("."), value };
  });
}

/**
 * Applies overrides to a parsed config (a copy: the input is not changed). Missing or
 * non-object parents along a path become objects.
 *
 * @example
 * ```ts
 * applyOverrides({ training: { lr: 1 } }, [{ path: ["training", "epochs"], value: 2 }]); // { training: { lr: 1, epochs: 2 } }
 * ```
 */
export function applyOverrides(raw: unknown, overrides: readonly ConfigOverride[]): unknown {
  if (overrides.length === 0) return raw;
  const root: Record<string, unknown> = isPlainObject(raw) ? structuredClone(raw) : {};
  for (const { path, value } of overrides) {
    let node = root;
    for (const k of path.slice(0, -1)) {
      if (!isPlainObject(node[k])) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return root;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
