import { mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { exportOnnx, loadOnnxInference, type OnnxInference } from "@tunekit/backend-onnx";
import { type HostTensor, loadTokenizer, TunekitError } from "@tunekit/core";
import { writeFileAtomic } from "@tunekit/core/io";
import { type CliCommand, type CommandContext, stringFlag, UsageError } from "../command.js";
import { createBackend } from "../setup/backend-setup.js";
import { hubFolder } from "../setup/hub-model.js";
import { type ExportScore, scoreExport } from "../setup/export-eval.js";
import { exportConfigJson, writeExportTokenizer } from "../setup/export-files.js";
import { inferenceTrace, loadModelForExport, type ModelToExport } from "../setup/export-model.js";
import { prepareData, type SplitName } from "../setup/training-data.js";
import { MERGE_PROBE_SENTENCES } from "./merge.js";

/** The Transformers.js pipeline of each exported task. */
const PIPELINE = {
  "sequence-classification": "text-classification",
  regression: "text-classification",
  "token-classification": "token-classification",
  "feature-extraction": "feature-extraction",
} as const;

/** `tunekit export MODEL_DIR --format onnx --out DIR`: an inference model in the Transformers.js layout. */
export const exportCommand: CliCommand = {
  name: "export",
  summary: "export a model for inference: ONNX with dynamic axes in the Transformers.js layout",
  usage:
    "tunekit export RUN_DIR|MODEL_DIR|CONFIG --out DIR [--format onnx] [--quantize int8] [--eval-data SPLIT] [--tokenizer PATH] [--json]",
  help: [
    "RUN_DIR is an output folder of tunekit train (or its model/ folder, or its config file);",
    "MODEL_DIR a Hugging Face folder or Hub name (org/name[@revision]; a merged model, a downloaded one:",
    "its architectures name the head, a bare encoder otherwise). A LoRA / DoRA / IA3 adapter is",
    "folded into the base weights first; other adapters are exported as the ops they add.",
    "DIR gets onnx/model.onnx (the inference forward:",
    "no dropout, no loss; dynamic batch_size and sequence_length axes; inputs input_ids, attention_mask,",
    "token_type_ids as int64; output logits, or last_hidden_state for a bare encoder), config.json with",
    "id2label / label2id, tokenizer.json and tokenizer_config.json: what Transformers.js loads with",
    'pipeline("text-classification" | "token-classification", DIR). The export is run once by',
    "onnxruntime and compared with tunekit's own forward on a probe batch.",
    "",
    "options:",
    "  --out DIR          where to write (required; not the model's own folder)",
    "  --format onnx      the only format (default)",
    "  --quantize int8    also write onnx/model_quantized.onnx (Transformers.js dtype q8): the linear",
    "                     layers' weights in int8, activations quantised at run time; prints the",
    "                     largest logit change on the probe batch",
    "  --eval-data SPLIT  score the export on a split of the run's data set (train, validation, test):",
    "                     accuracy, and with --quantize the int8 accuracy and agreement",
    "  --tokenizer PATH   tokenizer folder for a MODEL_DIR without tokenizer files",
  ],
  options: {
    out: { type: "string", short: "o" },
    format: { type: "string" },
    quantize: { type: "string" },
    "eval-data": { type: "string" },
    tokenizer: { type: "string" },
  },
  positionals: 1,
  run: runExport,
};

const maxAbsDiff = (a: HostTensor, b: HostTensor): number => {
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
};

async function runExport(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const outFlag = stringFlag(ctx, "out");
  if (outFlag === undefined)
    throw new UsageError("export needs --out DIR (where the exported model goes)", "export");
  stringFlag(ctx, "format", ["onnx"]);
  const quantize = stringFlag(ctx, "quantize", ["int8"]) as "int8" | undefined;
  const evalSplit = stringFlag(ctx, "eval-data", ["train", "validation", "test"]) as SplitName | undefined;
  const target = ctx.positionals[0]!;
  const out = resolve(io.cwd, outFlag);
  const log = (line: string) => io.stderr(`${line}\n`);
  const probeOf = async (tokenizerFrom: string, maxTokens?: number): Promise<Record<string, HostTensor>> => {
    const maxLength = Math.min(64, maxTokens ?? 64);
    const enc = (await loadTokenizer(tokenizerFrom)).encodeBatch(MERGE_PROBE_SENTENCES, { maxLength });
    return { input_ids: enc.inputIds, attention_mask: enc.attentionMask, token_type_ids: enc.tokenTypeIds };
  };
  const tokenizerFlag = stringFlag(ctx, "tokenizer");
  // a Hub name (org/name[@revision]) that is no local path: its snapshot in the Hugging Face cache
  const source = (await hubFolder(target, io.cwd, io, true)) ?? target;
  const tokenizer =
    tokenizerFlag === undefined
      ? undefined
      : ((await hubFolder(tokenizerFlag, io.cwd, io, false)) ?? tokenizerFlag);
  const loaded = await loadModelForExport(source, io.cwd, {
    tokenizer,
    backend: (spec) => createBackend(spec, log),
    probe: probeOf,
  });
  const backendSpec = loaded.runConfig?.backend ?? { name: "onnx" };
  if (out === resolve(loaded.modelDir)) {
    throw new UsageError(`--out ${outFlag} is the model's own folder; expected a new folder`, "export");
  }
  if (evalSplit !== undefined && loaded.runConfig === undefined) {
    throw new UsageError(
      `--eval-data ${evalSplit} reads the data set of a tunekit run; ${target} is a plain model folder: pass the run folder instead`,
      "export",
    );
  }
  if (tokenizerFlag !== undefined && loaded.runConfig !== undefined) {
    throw new UsageError(
      `--tokenizer is for a plain model folder; ${target} is a tunekit run, which has its tokenizer`,
      "export",
    );
  }
  const exported = exportOnnx(inferenceTrace(loaded.model), {
    quantize,
    maxSequenceLength: loaded.maxSequenceLength,
  });
  const output = exported.outputs[0]!;
  if (
    loaded.task === "token-classification" &&
    output.dims.join() !== `batch_size,sequence_length,${loaded.labels.length}`
  ) {
    throw new TunekitError(
      "NOT_IMPLEMENTED",
      `the model's logits are [${output.dims.join(", ")}]; a token-classification export needs one row per input token ([batch_size, sequence_length, ${loaded.labels.length}])`,
    );
  }

  // the export against tunekit's own forward on the probe batch
  const probe = await probeOf(loaded.tokenizerFrom, loaded.maxSequenceLength);
  const reference = await referenceOutput(loaded, probe, () => createBackend(backendSpec, log));
  const models: { fp32: OnnxInference; int8?: OnnxInference } = {
    fp32: await loadOnnxInference(exported.model),
  };
  let score: ExportScore | undefined;
  let probeCheck: { maxAbsDifference: number; int8MaxAbsDifference?: number };
  try {
    if (exported.quantized !== undefined) models.int8 = await loadOnnxInference(exported.quantized.model);
    const got = (await models.fp32.run(probe))[output.name]!;
    probeCheck = { maxAbsDifference: maxAbsDiff(got, reference) };
    if (models.int8 !== undefined) {
      probeCheck.int8MaxAbsDifference = maxAbsDiff((await models.int8.run(probe))[output.name]!, got);
    }
    if (evalSplit !== undefined) {
      const config = loaded.runConfig!;
      const tokenizer = await loadTokenizer(loaded.tokenizerFrom);
      const task = loaded.task === "token-classification" ? "token-classification" : config.task;
      const data = await prepareData(config.data, task, tokenizer, config.training.maxLength, [evalSplit]);
      const split = data.splits[evalSplit];
      if (split === undefined || !split.labelled) {
        throw new TunekitError(
          "DATA_INVALID",
          `data set "${data.name}" has no labelled "${evalSplit}" split to score the export on; pick another with --eval-data`,
        );
      }
      score = await scoreExport(split.data, loaded.task, models);
    }
  } finally {
    await models.fp32.dispose();
    await models.int8?.dispose();
  }

  await mkdir(join(out, "onnx"), { recursive: true });
  await writeFileAtomic(join(out, "onnx", "model.onnx"), exported.model);
  const files = ["onnx/model.onnx"];
  if (exported.quantized !== undefined) {
    await writeFileAtomic(join(out, "onnx", "model_quantized.onnx"), exported.quantized.model);
    files.push("onnx/model_quantized.onnx");
  }
  const configJson = exportConfigJson(loaded.sourceConfig, loaded.task, loaded.labels);
  await writeFileAtomic(join(out, "config.json"), `${JSON.stringify(configJson, null, 2)}\n`);
  files.push("config.json", ...(await writeExportTokenizer(loaded.tokenizerFrom, out, configJson)));

  const shown = (p: string): string => relative(io.cwd, p) || ".";
  const summary = {
    ok: true,
    command: "export",
    model: loaded.modelDir,
    task: loaded.task,
    pipeline: PIPELINE[loaded.task],
    labels: loaded.labels,
    out,
    files,
    inputs: exported.inputs,
    outputs: exported.outputs,
    onnxNodes: exported.nodeCount,
    adapter: loaded.adapter,
    probe: { rows: probe.input_ids!.shape[0], tokens: probe.input_ids!.shape[1], ...probeCheck },
    ...(exported.quantized === undefined ? {} : { quantized: exported.quantized.report }),
    ...(score === undefined ? {} : { evaluation: { split: evalSplit, ...score } }),
  };
  if (probeCheck.maxAbsDifference > 1e-4) {
    io.stderr(
      `warning: the exported model's outputs differ from tunekit's by up to ${probeCheck.maxAbsDifference.toExponential(2)} on the probe batch (expected < 1e-4)\n`,
    );
  }
  if (ctx.json) {
    io.stdout(`${JSON.stringify(summary)}\n`);
    return 0;
  }
  const lines = [`exported ${shown(loaded.modelDir)} (${loaded.task}) to ${shown(out)}: ${files.join(", ")}`];
  if (loaded.adapter?.merged) {
    lines.push(
      `folded ${loaded.adapter.layers} ${loaded.adapter.method} layers into the base weights (max |merged - adapter| ${loaded.adapter.maxAbsDifference.toExponential(2)})`,
    );
  } else if (loaded.adapter !== undefined) {
    lines.push(
      `kept the ${loaded.adapter.method} adapter as ops of the exported graph (it does not fold into the weights)`,
    );
  }
  lines.push(
    `inputs ${exported.inputs.map((i) => `${i.name} [${i.dims.join(", ")}]`).join(", ")}; output ${output.name} [${output.dims.join(", ")}]`,
    `probe batch (${probe.input_ids!.shape[0]} sentences): max |onnx - tunekit| ${probeCheck.maxAbsDifference.toExponential(2)}`,
  );
  if (exported.quantized !== undefined) {
    const r = exported.quantized.report;
    lines.push(
      `int8: ${r.matmuls} matrix products and ${r.gathers} embedding table${r.gathers === 1 ? "" : "s"} quantised (${(r.floatBytes / 2 ** 20).toFixed(1)} MiB of float weights -> ${(r.int8Bytes / 2 ** 20).toFixed(1)} MiB); max |int8 - fp32| on the probe ${probeCheck.int8MaxAbsDifference!.toExponential(2)}`,
    );
  }
  if (score !== undefined) {
    const pct = (x: number | undefined) => (x === undefined ? "n/a" : `${(100 * x).toFixed(2)}%`);
    const unit = loaded.task === "token-classification" ? "tokens" : "rows";
    if (score.pearson !== undefined) {
      lines.push(
        `${evalSplit} (${score.units} ${unit}): pearson ${score.pearson.toFixed(4)}` +
          (score.int8?.pearson !== undefined
            ? `; int8 ${score.int8.pearson.toFixed(4)} (max |int8 - fp32| ${score.int8.maxAbsDifference.toExponential(2)})`
            : ""),
      );
    } else {
      const change =
        score.accuracy !== undefined && score.int8?.accuracy !== undefined
          ? `${(100 * (score.int8.accuracy - score.accuracy)).toFixed(2)} points`
          : "n/a";
      lines.push(
        `${evalSplit} (${score.units} ${unit}): accuracy ${pct(score.accuracy)}` +
          (score.int8
            ? `; int8 ${pct(score.int8.accuracy)} (change ${change}, agreement ${pct(score.int8.agreement)}, max |int8 - fp32| ${score.int8.maxAbsDifference.toExponential(2)})`
            : ""),
      );
    }
  }
  lines.push(
    `load it: pipeline("${PIPELINE[loaded.task]}", "${shown(out)}", { local_files_only: true }) with @huggingface/transformers (env.localModelPath set)`,
  );
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

/** tunekit's own forward of the model on the probe batch (a graph traced at the probe's size). */
async function referenceOutput(
  loaded: ModelToExport,
  probe: Record<string, HostTensor>,
  backend: () => ReturnType<typeof createBackend>,
): Promise<HostTensor> {
  const [b, s] = probe.input_ids!.shape as [number, number];
  const graph = inferenceTrace(loaded.model)(b, s);
  const constants = Object.fromEntries([...graph.parameters].map(([n, p]) => [n, p.value]));
  const be = await backend();
  try {
    const exe = await be.compile(graph, { constants });
    try {
      const name = [...graph.outputs.keys()][0]!;
      return (await exe.run(probe))[name]!;
    } finally {
      exe.dispose();
    }
  } finally {
    be.dispose();
  }
}
