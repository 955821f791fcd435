import { relative } from "node:path";
import type { CommandContext } from "../command.js";
import { type StopSignal, signalExitCode } from "./interrupts.js";

/**
 * The command line of `ctx` again, with `--resume` added: what continues an interrupted
 * run (values with spaces or shell characters are single-quoted).
 *
 * @example
 * ```ts
 * resumeCommand(ctx); // "tunekit train examples/sst2-tiny.json --max-steps 500 --resume"
 * ```
 */
export function resumeCommand(ctx: Pick<CommandContext, "positionals" | "flags">, command = "train"): string {
  const quote = (v: string): string => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const parts = ["tunekit", command, ...ctx.positionals.map(quote)];
  for (const [name, value] of Object.entries(ctx.flags)) {
    if (value === undefined || value === false || name === "resume") continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      parts.push(`--${name}`);
      if (v !== true) parts.push(quote(String(v)));
    }
  }
  parts.push("--resume");
  return parts.join(" ");
}

/**
 * Reports a training run stopped by a signal (its checkpoint and how to continue it) and
 * returns the exit code (128 + the signal's number). With `--json`, stdout gets one object
 * `{ ok: false, stopped, steps, checkpoint, resume, exitCode }`.
 *
 * @example
 * ```ts
 * return reportInterrupted(ctx, { signal: "SIGINT", step: 120, checkpoint: "runs/x/checkpoints/checkpoint-120" });
 * ```
 */
export function reportInterrupted(
  ctx: Pick<CommandContext, "positionals" | "flags" | "io" | "json">,
  r: { readonly signal: StopSignal; readonly step: number; readonly checkpoint: string | undefined },
): number {
  const exitCode = signalExitCode(r.signal);
  const resume = resumeCommand(ctx);
  const where = r.checkpoint === undefined ? undefined : relative(ctx.io.cwd, r.checkpoint) || r.checkpoint;
  ctx.io.stderr(
    `stopped by ${r.signal} after step ${r.step}; ${where === undefined ? "no checkpoint was written" : `checkpoint saved to ${where}`}\n` +
      `to continue, run the same command with --resume:\n  ${resume}\n`,
  );
  if (ctx.json) {
    const summary = {
      ok: false,
      command: "train",
      stopped: r.signal,
      steps: r.step,
      checkpoint: r.checkpoint ?? null,
      resume,
      exitCode,
    };
    ctx.io.stdout(`${JSON.stringify(summary)}\n`);
  }
  return exitCode;
}
