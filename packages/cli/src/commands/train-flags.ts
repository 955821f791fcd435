import { relative } from "node:path";
import { type CommandContext, type ConfigOverride, intFlag, parseSetFlags, stringFlag } from "../command.js";

/**
 * The config overrides of `tunekit train`'s flags: every `--set K=V`, then `--max-steps`,
 * `--epochs`, `--eval-every`, `--checkpoint-every`, `--output` and `--backend`.
 *
 * @example
 * ```ts
 * const overrides = trainOverrides(ctx); // [{ path: ["training", "maxSteps"], value: 10 }, ...]
 * ```
 */
export function trainOverrides(ctx: CommandContext): ConfigOverride[] {
  const sets = ctx.flags.set;
  const out = parseSetFlags(Array.isArray(sets) ? sets : []);
  const flag = (path: string[], value: unknown): void => {
    if (value !== undefined) out.push({ path, value });
  };
  flag(["training", "maxSteps"], intFlag(ctx, "max-steps"));
  flag(["training", "epochs"], intFlag(ctx, "epochs"));
  const evalEvery = stringFlag(ctx, "eval-every");
  // a number of updates, or "epoch" / "never" (the config validator names what is allowed)
  flag(
    ["training", "evalEvery"],
    evalEvery !== undefined && /^\d+$/.test(evalEvery) ? Number(evalEvery) : evalEvery,
  );
  flag(["training", "checkpointEvery"], intFlag(ctx, "checkpoint-every"));
  flag(["output"], stringFlag(ctx, "output"));
  flag(["backend"], stringFlag(ctx, "backend", ["onnx", "tfjs"]));
  return out;
}

/**
 * A core `checkpoint <absolute folder> …` log line with the folder relative to `cwd`.
 *
 * @example
 * ```ts
 * relativeCheckpointLine("checkpoint /home/me/runs/x/checkpoints/checkpoint-4 (best)", "/home/me"); // "checkpoint runs/x/checkpoints/checkpoint-4 (best)"
 * ```
 */
export function relativeCheckpointLine(line: string, cwd: string): string {
  const [, folder, rest] = /^checkpoint (\S+)(.*)$/.exec(line) ?? [];
  return folder === undefined ? line : `checkpoint ${relative(cwd, folder) || "."}${rest}`;
}
