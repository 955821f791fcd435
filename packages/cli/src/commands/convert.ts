import { mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { type HostTensor, readSafetensorsFile, TunekitError, writeSafetensorsFile } from "@tunekit/core";
import { readModelWeights, writeFileAtomic } from "@tunekit/core/io";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import { hubFolder } from "../setup/hub-model.js";
import { TOKENIZER_FILES } from "../setup/run-files.js";

/** Files copied next to the converted weights when the model folder has them. */
const COPIED_FILES = ["config.json", ...TOKENIZER_FILES];

/** `tunekit convert MODEL_DIR --output DIR`: writes model.safetensors from any checkpoint layout. */
export const convertCommand: CliCommand = {
  name: "convert",
  summary: "convert a model folder's pytorch_model.bin (or shards) to model.safetensors",
  usage: "tunekit convert MODEL_DIR --output DIR [--dtype float32|float16] [--json]",
  help: [
    "MODEL_DIR is a Hugging Face folder with pytorch_model.bin, pytorch_model.bin.index.json",
    "(+ shards), model.safetensors or model.safetensors.index.json. The .bin files are read",
    "without running any of their code: only tensors are rebuilt, and a file that asks for",
    "anything else (e.g. os.system) is refused, naming what it asked for. DIR gets",
    "model.safetensors (Hugging Face names, metadata format=pt) and copies of config.json and",
    "the tokenizer files; the written file is read back and compared with the source.",
    "",
    "options:",
    "  -o, --output DIR  folder for model.safetensors (created; may be MODEL_DIR itself)",
    "  --dtype D         float32 (default: exact) or float16 (half the size; values rounded)",
  ],
  options: { output: { type: "string", short: "o" }, dtype: { type: "string" } },
  positionals: 1,
  run: runConvert,
};

async function runConvert(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const outFlag = stringFlag(ctx, "output");
  if (outFlag === undefined) {
    throw new UsageError("convert needs --output DIR (where model.safetensors goes)", "convert");
  }
  const dtype = stringFlag(ctx, "dtype", ["float32", "float16"]) ?? "float32";
  // a Hub model name (name, org/name[@revision]) that names no local path: its snapshot folder
  const from =
    (await hubFolder(ctx.positionals[0]!, io.cwd, io, true)) ?? resolve(io.cwd, ctx.positionals[0]!);
  const out = resolve(io.cwd, outFlag);
  const shown = (p: string): string => relative(io.cwd, p) || ".";

  const weights = await readModelWeights(from);
  await mkdir(out, { recursive: true });
  const target = join(out, "model.safetensors");
  await writeSafetensorsFile(
    target,
    weights.tensors,
    { format: "pt" },
    dtype === "float16" ? { floatDType: "F16" } : {},
  );
  const maxDifference = compare(weights.tensors, (await readSafetensorsFile(target)).tensors, target);
  if (dtype === "float32" && maxDifference !== 0) {
    throw new TunekitError(
      "CHECKPOINT_INVALID",
      `${target} differs from ${join(from, weights.file)} by up to ${maxDifference} after writing; the file was not written correctly (disk full?)`,
    );
  }
  const copied: string[] = [];
  if (out !== from) {
    for (const name of COPIED_FILES) {
      const bytes = await readFile(join(from, name)).catch(() => undefined);
      if (bytes === undefined) continue;
      await writeFileAtomic(join(out, name), bytes);
      copied.push(name);
    }
  }
  let parameters = 0;
  for (const t of weights.tensors.values()) parameters += t.data.length;
  const summary = {
    ok: true,
    command: "convert",
    from: weights.files,
    out: target,
    tensors: weights.tensors.size,
    parameters,
    dtype,
    maxAbsDifference: maxDifference,
    copied,
  };
  if (ctx.json) {
    io.stdout(`${JSON.stringify(summary)}\n`);
  } else {
    const source =
      weights.files.length === 1
        ? shown(weights.files[0]!)
        : `${shown(join(from, weights.file))} (${weights.files.length} shards)`;
    io.stdout(
      `converted ${weights.tensors.size} tensors (${parameters.toLocaleString("en-US")} values) from ${source} to ${shown(target)} (${dtype}` +
        `${dtype === "float16" ? `, max rounding ${maxDifference.toExponential(2)}` : ", read back identical"})\n` +
        (copied.length > 0 ? `copied ${copied.join(", ")}\n` : "") +
        (copied.includes("config.json") || out === from
          ? ""
          : `warning: ${shown(from)} has no config.json; add one before loading ${shown(out)}\n`),
    );
  }
  return 0;
}

/** Largest absolute difference between the tensors written and those read back. */
function compare(source: Map<string, HostTensor>, written: Map<string, HostTensor>, file: string): number {
  let worst = 0;
  for (const [name, a] of source) {
    const b = written.get(name);
    if (b === undefined || b.data.length !== a.data.length) {
      throw new TunekitError(
        "CHECKPOINT_INVALID",
        `${file}: tensor ${JSON.stringify(name)} was not written correctly`,
      );
    }
    for (let i = 0; i < a.data.length; i++) {
      const x = a.data[i]!;
      const y = b.data[i]!;
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      const d = Math.abs(x - y);
      worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
    }
  }
  return worst;
}
