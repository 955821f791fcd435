import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type BertConfig,
  createBertForTask,
  formatParameterReport,
  loadTokenizer,
  type Module,
  parameterReport,
  readBertConfig,
} from "@tunekit/core";
import { type CliCommand, type CommandContext, intFlag, stringFlag, UsageError } from "../command.js";
import { ConfigValidator } from "../config/validate.js";
import { loadDataSpec, resolveTask } from "../setup/data-setup.js";
import { buildModel } from "../setup/model-setup.js";
import { loadTrainConfigFile } from "../setup/run-files.js";
import { createStrategy, parseStrategySpec, type StrategySpec } from "../strategy-config.js";

/** `tunekit info MODEL`: architecture and parameter counts, optionally with a strategy applied. */
export const infoCommand: CliCommand = {
  name: "info",
  summary: "show a model's architecture and parameter counts (with a strategy: what it trains)",
  usage: "tunekit info MODEL_DIR|CONFIG [--strategy METHOD|JSON] [--depth N] [--json]",
  help: [
    "MODEL_DIR is a Hugging Face BERT folder (config.json; weights are not read). CONFIG is a",
    "train config: its model (random or pre-trained), data labels and strategy are used.",
    "",
    "options:",
    '  --strategy S     a method name (full, head-only, lora, ...) or a JSON block, e.g. \'{"method":"lora","r":8}\'',
    "  --depth N        module path segments per report row (default 2)",
  ],
  options: {
    strategy: { type: "string" },
    depth: { type: "string" },
  },
  positionals: 1,
  run: runInfo,
};

async function runInfo(ctx: CommandContext): Promise<number> {
  const target = resolve(ctx.io.cwd, ctx.positionals[0]!);
  const depth = intFlag(ctx, "depth") ?? 2;
  const strategyFlag = stringFlag(ctx, "strategy");
  let flagSpec: StrategySpec | undefined;
  if (strategyFlag !== undefined) {
    let raw: unknown = strategyFlag;
    if (strategyFlag.trim().startsWith("{")) {
      try {
        raw = JSON.parse(strategyFlag);
      } catch (e) {
        throw new UsageError(`--strategy is not valid JSON: ${(e as Error).message}`, "info");
      }
    }
    flagSpec = parseStrategySpec(new ConfigValidator("--strategy"), raw);
  }
  const info = await stat(target).catch(() => undefined);
  let model: Module;
  let config: BertConfig;
  let source: string;
  let random = false;
  let spec = flagSpec;
  if (info?.isDirectory()) {
    config = await readBertConfig(target);
    model = createBertForTask(config, { task: "sequence-classification" });
    source = join(ctx.positionals[0]!, "config.json");
  } else {
    const loaded = await loadTrainConfigFile(ctx.positionals[0]!, ctx.io.cwd);
    const tc = loaded.config;
    const tokenizer = await loadTokenizer(tc.tokenizer);
    const { splits } = await loadDataSpec({ ...tc.data, maxRows: { train: 1, validation: 1, test: 1 } });
    const built = await buildModel(tc.model, {
      task: resolveTask(tc.task, splits),
      labels: splits.labelNames,
      vocabSize: tokenizer.vocabSize,
      padId: tokenizer.padId,
      maxLength: tc.training.maxLength,
    });
    model = built.model;
    config = built.config;
    random = built.random;
    source = ctx.positionals[0]!;
    spec ??= tc.strategy;
  }
  const strategy = spec === undefined ? undefined : await createStrategy(spec);
  const adapted = strategy === undefined ? model : strategy.apply(model);
  const report = parameterReport(adapted, { depth });
  const architecture = {
    layers: config.numHiddenLayers,
    hidden: config.hiddenSize,
    heads: config.numAttentionHeads,
    intermediate: config.intermediateSize,
    vocab: config.vocabSize,
    maxPositions: config.maxPositionEmbeddings,
    activation: config.hiddenAct,
    labels: config.id2label,
    problemType: config.problemType ?? null,
  };
  if (ctx.json) {
    ctx.io.stdout(
      `${JSON.stringify({ ok: true, command: "info", source, randomModel: random, architecture, strategy: strategy?.method ?? null, parameters: report })}\n`,
    );
    return 0;
  }
  const lines = [
    `model ${source}${random ? " (RANDOM initialisation, not pre-trained)" : ""}`,
    `  BERT: ${architecture.layers} layers, hidden ${architecture.hidden}, ${architecture.heads} heads, intermediate ${architecture.intermediate}, ` +
      `vocab ${architecture.vocab}, max positions ${architecture.maxPositions}, ${architecture.activation}`,
    `  labels (${config.id2label.length}): ${config.id2label.join(", ")}${config.problemType ? ` [${config.problemType}]` : ""}`,
    ...(strategy === undefined
      ? []
      : [
          `strategy ${strategy.method}${Object.keys(strategy.options).length ? ` ${JSON.stringify(strategy.options)}` : ""}`,
        ]),
    "",
    formatParameterReport(report),
  ];
  ctx.io.stdout(`${lines.join("\n")}\n`);
  return 0;
}
