import { parseArgs } from "node:util";
import { isTunekitError } from "@tunekit/core";
import type { CliIo } from "./cli-io.js";
import { COMMON_HELP, COMMON_OPTIONS, type CliCommand, UsageError } from "./command.js";
import { chatCommand } from "./commands/chat.js";
import { convertCommand } from "./commands/convert.js";
import { evaluateCommand } from "./commands/evaluate.js";
import { exportCommand } from "./commands/export.js";
import { exportAdapterCommand } from "./commands/export-adapter.js";
import { infoCommand } from "./commands/info.js";
import { generateCommand } from "./commands/generate.js";
import { mergeCommand } from "./commands/merge.js";
import { predictCommand } from "./commands/predict.js";
import { trainCommand } from "./commands/train.js";
import { loadOptionalCommand, OPTIONAL_COMMANDS } from "./optional-commands.js";

/**
 * Exit codes of `tunekit`.
 *
 * @example
 * ```ts
 * if ((await runCli(argv, io)) === EXIT.usageError) console.error("fix the command line or config");
 * ```
 */
export const EXIT = { ok: 0, runtimeError: 1, usageError: 2 } as const;

/**
 * The sub-commands, in `--help` order.
 *
 * @example
 * ```ts
 * COMMANDS.map((c) => c.name); // ["train", "evaluate", "predict", "info", "merge", "export-adapter", "export", "convert", "generate", "chat"]
 * ```
 */
export const COMMANDS: readonly CliCommand[] = [
  trainCommand,
  evaluateCommand,
  predictCommand,
  infoCommand,
  mergeCommand,
  exportAdapterCommand,
  exportCommand,
  convertCommand,
  generateCommand,
  chatCommand,
];

/**
 * Runs `tunekit` with `argv` (without `node` and the script) and returns the exit code:
 * 0 ok, 1 runtime error, 2 usage or config error. Errors print their message (the stack
 * with `--verbose`); with `--json` stdout gets one JSON object, also on errors.
 *
 * @example
 * ```ts
 * const code = await runCli(["train", "examples/sst2-tiny.json", "--max-steps", "10"], processIo());
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usageError : EXIT.ok;
  }
  if (name === "--version") {
    io.stdout("tunekit 0.0.0\n");
    return EXIT.ok;
  }
  let command = COMMANDS.find((c) => c.name === name);
  try {
    command ??= await loadOptionalCommand(name);
    if (command === undefined) {
      const names = [...COMMANDS, ...OPTIONAL_COMMANDS].map((c) => c.name);
      throw new UsageError(`unknown command ${JSON.stringify(name)}; expected one of ${names.join(", ")}`);
    }
    const parsed = parseCommandArgs(command, rest);
    if (parsed.values.help === true) {
      io.stdout(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    return await command.run({ io, positionals: parsed.positionals, flags: parsed.values, json, verbose });
  } catch (e) {
    return reportError(e, io, { json, verbose, command });
  }
}

function parseCommandArgs(
  command: CliCommand,
  args: readonly string[],
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""), command.name);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) return { values, positionals: parsed.positionals };
  const [min, max] =
    typeof command.positionals === "number"
      ? [command.positionals, command.positionals]
      : command.positionals;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    throw new UsageError(
      `${command.name} takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${n}${n > 0 ? ` (${parsed.positionals.join(" ")})` : ""}`,
      command.name,
    );
  }
  return { values, positionals: parsed.positionals };
}

function reportError(
  e: unknown,
  io: CliIo,
  o: { readonly json: boolean; readonly verbose: boolean; readonly command: CliCommand | undefined },
): number {
  const usage = e instanceof UsageError;
  const code = usage
    ? EXIT.usageError
    : isTunekitError(e, "CONFIG_INVALID")
      ? EXIT.usageError
      : EXIT.runtimeError;
  const message = e instanceof Error ? e.message : String(e);
  const kind = usage ? "USAGE" : isTunekitError(e) ? e.code : "INTERNAL";
  io.stderr(`tunekit: error${isTunekitError(e) ? ` [${e.code}]` : ""}: ${message}\n`);
  if (usage) {
    const cmd = COMMANDS.find((c) => c.name === (e as UsageError).command) ?? o.command;
    io.stderr(
      cmd
        ? `usage: ${cmd.usage}\n(see tunekit ${cmd.name} --help)\n`
        : `run tunekit --help for the commands\n`,
    );
  }
  if (o.verbose && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  else if (!usage && !isTunekitError(e))
    io.stderr("(an unexpected error: run with --verbose for the stack trace)\n");
  if (o.json) io.stdout(`${JSON.stringify({ ok: false, error: { code: kind, message }, exitCode: code })}\n`);
  return code;
}

function mainHelp(): string {
  const all = [...COMMANDS, ...OPTIONAL_COMMANDS];
  const width = Math.max(...all.map((c) => c.name.length));
  return [
    "tunekit: fine-tune transformers from the command line",
    "",
    "usage: tunekit <command> [options]",
    "",
    "commands:",
    ...all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run tunekit <command> --help for a command's options.",
    "Exit codes: 0 ok, 1 runtime error, 2 usage or config error.",
  ].join("\n");
}

/**
 * The `--help` text of a command.
 *
 * @example
 * ```ts
 * commandHelp(trainCommand).startsWith("usage: tunekit train");
 * ```
 */
export function commandHelp(command: CliCommand): string {
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    "",
    ...command.help,
    "",
    "common options:",
    ...COMMON_HELP,
  ].join("\n");
}
