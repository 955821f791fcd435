import { relative, resolve } from "node:path";
import { baseModelName, saveAdapterFolder } from "@tunekit/strategies";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import { ADAPTER_FORMATS, loadAdaptedRun } from "../setup/adapted-run.js";

const FORMAT_NAMES = {
  peft: "PEFT",
  tunekit: "tunekit-bottleneck/1",
};

/** `tunekit export-adapter RUN --out DIR`: writes a run's adapter as a standalone adapter folder. */
export const exportAdapterCommand: CliCommand = {
  name: "export-adapter",
  summary: "write a run's adapter folder (PEFT, or tunekit-bottleneck for bottleneck adapters)",
  usage:
    "tunekit export-adapter RUN_DIR|MODEL_DIR|CONFIG --out DIR [--format peft|tunekit] [--base-model NAME] [--json]",
  help: [
    "Rebuilds the run's adapted model and writes only its adapter (plus a trained head) to DIR:",
    "adapter_config.json + adapter_model.safetensors. LoRA, rsLoRA, DoRA, IA3, prefix and prompt",
    "tuning use PEFT's format (Python PEFT and @tunekit/strategies' loadAdapterFolder read it);",
    "bottleneck adapters (adapter, houlsby, pfeiffer, parallel-adapter) use tunekit-bottleneck/1.",
    "",
    "options:",
    "  --out DIR        folder for the adapter files (required)",
    "  --format NAME    peft or tunekit: checked against the method's format (default: the method's)",
    "  --base-model NAME",
    "                   recorded as base_model_name_or_path (default: the Hub id in the base folder's",
    "                   config.json _name_or_path, else the base folder's name; never a local path)",
  ],
  options: {
    out: { type: "string", short: "o" },
    format: { type: "string" },
    "base-model": { type: "string" },
  },
  positionals: 1,
  run: runExportAdapter,
};

async function runExportAdapter(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const outFlag = stringFlag(ctx, "out");
  if (outFlag === undefined)
    throw new UsageError("export-adapter needs --out DIR (where the adapter files go)", "export-adapter");
  const format = stringFlag(ctx, "format", ["peft", "tunekit"]) as "peft" | "tunekit" | undefined;
  const methods = Object.keys(ADAPTER_FORMATS);
  const run = await loadAdaptedRun(
    ctx.positionals[0]!,
    io.cwd,
    (m) => m in ADAPTER_FORMATS,
    `a run of a method with adapter files: ${methods.join(", ")} (full, head-only and bitfit runs already save a plain Hugging Face folder in model/)`,
  );
  const own = ADAPTER_FORMATS[run.method]!;
  if (format !== undefined && format !== own) {
    throw new UsageError(
      `--format ${format}: strategy "${run.method}" has no ${FORMAT_NAMES[format]} format; expected --format ${own} (${FORMAT_NAMES[own]}) or no --format`,
      "export-adapter",
    );
  }
  const out = resolve(io.cwd, outFlag);
  const named = stringFlag(ctx, "base-model");
  const baseName =
    named ??
    (run.config.model.kind === "pretrained" ? await baseModelName(run.config.model.path) : undefined);
  const base = baseName === undefined ? {} : { baseModelNameOrPath: baseName };
  const saved = await saveAdapterFolder(run.model, out, {
    ...base,
    tokenizerNameOrPath: run.config.tokenizer,
  });
  const shown = (p: string): string => relative(io.cwd, p) || ".";
  if (ctx.json) {
    io.stdout(
      `${JSON.stringify({
        ok: true,
        command: "export-adapter",
        run: run.runDir,
        method: run.method,
        format: own,
        out,
        config: saved.configPath,
        weights: saved.weightsPath,
        tensors: saved.keys.length,
        baseModel: baseName ?? null,
      })}\n`,
    );
  } else {
    io.stdout(
      `wrote the ${run.method} adapter of ${shown(run.runDir)} (${FORMAT_NAMES[own]} format, ${saved.keys.length} tensors) to ${shown(out)} (adapter_config.json, adapter_model.safetensors)\n`,
    );
  }
  return 0;
}
