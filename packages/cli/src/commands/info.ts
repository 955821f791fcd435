import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  createBertForTask,
  formatParameterReport,
  loadTokenizer,
  type Module,
  parameterReport,
} from "@tunekit/core";
import { type BertConfig, readBertConfig } from "@tunekit/core/models";
import { type CliCommand, type CommandContext, intFlag, UsageError } from "../command.js";
import { formatTable } from "../format-table.js";
import { ConfigValidator } from "../config/validate.js";
import { loadDataSpec, resolveTask } from "../setup/data-setup.js";
import { prepareData } from "../setup/training-data.js";
import { buildMultiTaskModel, mixtureHeads } from "../setup/mixture-setup.js";
import { buildModel } from "../setup/model-setup.js";
import { type TaskCostRow, taskCostTable, taskCosts } from "./info-tasks.js";
import { hubFolder } from "../setup/hub-model.js";
import { loadTrainConfigFile } from "../setup/run-files.js";
import {
  createStrategy,
  parseStrategySpec,
  type StrategyContext,
  type StrategySpec,
} from "../strategy-config.js";

/** `tunekit info MODEL`: architecture and parameter counts, optionally with a strategy applied. */
export const infoCommand: CliCommand = {
  name: "info",
  summary: "show a model's architecture and parameter counts (with a strategy: what it trains)",
  usage: "tunekit info MODEL_DIR|CONFIG [--strategy METHOD|JSON]... [--depth N] [--json]",
  help: [
    "MODEL_DIR is a Hugging Face BERT folder (config.json; weights are not read), or a Hub model",
    "name / org/name[@revision] (its config.json is downloaded; see HF_ENDPOINT). CONFIG is a",
    "train config: its model (random or pre-trained), data labels and strategy are used.",
    "",
    "options:",
    '  --strategy S     a method name (full, head-only, lora, ...) or a JSON block, e.g. \'{"method":"lora","r":8}\';',
    "                   repeat it to compare methods (one row per method: trainable, % of base, added)",
    "  --depth N        module path segments per report row (default 2)",
  ],
  options: {
    strategy: { type: "string", multiple: true },
    depth: { type: "string" },
  },
  positionals: 1,
  run: runInfo,
};

/** Display names of the encoder architectures (`model_type`). */
const ARCHITECTURE_NAMES: Readonly<Record<BertConfig["modelType"], string>> = {
  bert: "BERT",
  roberta: "RoBERTa",
  "xlm-roberta": "XLM-RoBERTa",
  electra: "ELECTRA",
  distilbert: "DistilBERT",
};

async function runInfo(ctx: CommandContext): Promise<number> {
  // a Hub reference (name, org/name[@revision]) that names no local path: its config and tokenizer
  const hub = await hubFolder(ctx.positionals[0]!, ctx.io.cwd, ctx.io, false);
  const target = hub ?? resolve(ctx.io.cwd, ctx.positionals[0]!);
  const depth = intFlag(ctx, "depth") ?? 2;
  const flagSpecs = strategyFlags(ctx);
  const info = await stat(target).catch(() => undefined);
  let model: Module;
  let config: BertConfig;
  let source: string;
  let random = false;
  let specs = flagSpecs;
  let strategyContext: StrategyContext = {};
  let tasks: string[] | undefined;
  if (info?.isDirectory()) {
    config = await readBertConfig(target);
    const architectures = config.extra.architectures;
    const token = Array.isArray(architectures) && String(architectures[0]).endsWith("ForTokenClassification");
    model = createBertForTask(config, { task: token ? "token-classification" : "sequence-classification" });
    source =
      hub === undefined ? join(ctx.positionals[0]!, "config.json") : `${ctx.positionals[0]!} (${target})`;
  } else {
    const loaded = await loadTrainConfigFile(ctx.positionals[0]!, ctx.io.cwd, [], ctx.io);
    const tc = loaded.config;
    const tokenizer = await loadTokenizer(tc.tokenizer);
    const sizes = {
      vocabSize: tokenizer.vocabSize,
      padId: tokenizer.padId,
      maxLength: tc.training.maxLength,
    };
    tasks = tc.mixture?.tasks.map((t) => t.name);
    strategyContext = { tokenizer, ...(tasks === undefined ? {} : { tasks }) };
    const built =
      tc.mixture === undefined
        ? await (async () => {
            if (tc.data.tokens !== undefined) {
              // token data: the tags of the rows train reads name the labels (nothing is tokenised)
              const data = await prepareData(tc.data, tc.task, tokenizer, tc.training.maxLength, []);
              return buildModel(tc.model, { task: data.task, labels: data.labelNames, ...sizes });
            }
            const { splits } = await loadDataSpec({
              ...tc.data,
              maxRows: { train: 1, validation: 1, test: 1 },
            });
            return buildModel(tc.model, {
              task: resolveTask(tc.task, splits),
              labels: splits.labelNames,
              ...sizes,
            });
          })()
        : await buildMultiTaskModel(tc.model, await mixtureHeads(tc.mixture, tokenizer), {
            ...sizes,
            seed: 0,
          });
    model = built.model;
    config = built.config;
    random = built.random;
    source = ctx.positionals[0]!;
    if (specs.length === 0) specs = [tc.strategy];
  }
  const baseTotal = parameterReport(model).total;
  const rows: MethodRow[] = [];
  const taskRows: TaskCostRow[] = [];
  let adapted = model;
  for (const spec of specs) {
    const strategy = await createStrategy(
      spec,
      flagSpecs.length > 0 ? "--strategy" : source,
      strategyContext,
    );
    adapted = strategy.apply(model);
    const r = parameterReport(adapted);
    rows.push({
      method: strategy.method,
      options: strategy.options,
      trainable: r.trainable,
      added: r.total - baseTotal,
      percentOfBase: baseTotal === 0 ? 0 : (100 * r.trainable) / baseTotal,
    });
    if (tasks !== undefined) taskRows.push(taskCosts(strategy.method, adapted, model, tasks));
  }
  // With several methods the per-module table would show only the last one: list methods instead.
  const report = specs.length > 1 ? undefined : parameterReport(adapted, { depth });
  const architecture = {
    modelType: config.modelType,
    layers: config.numHiddenLayers,
    hidden: config.hiddenSize,
    heads: config.numAttentionHeads,
    intermediate: config.intermediateSize,
    vocab: config.vocabSize,
    maxPositions: config.maxPositionEmbeddings,
    activation: config.hiddenAct,
    ...(config.embeddingSize === undefined ? {} : { embeddingSize: config.embeddingSize }),
    labels: config.id2label,
    problemType: config.problemType ?? null,
  };
  if (ctx.json) {
    ctx.io.stdout(
      `${JSON.stringify({ ok: true, command: "info", source, randomModel: random, architecture, parameters: report ?? null, strategies: rows, ...(tasks === undefined ? {} : { tasks, perTask: taskRows }) })}\n`,
    );
    return 0;
  }
  const lines = [
    `model ${source}${random ? " (RANDOM initialisation, not pre-trained)" : ""}`,
    `  ${ARCHITECTURE_NAMES[config.modelType]}: ${architecture.layers} layers, hidden ${architecture.hidden}, ${architecture.heads} heads, intermediate ${architecture.intermediate}, ` +
      `vocab ${architecture.vocab}, max positions ${architecture.maxPositions}, ${architecture.activation}`,
    tasks === undefined
      ? `  labels (${config.id2label.length}): ${config.id2label.join(", ")}${config.problemType ? ` [${config.problemType}]` : ""}`
      : `  tasks (${tasks.length}, one head each): ${tasks.join(", ")}`,
    ...(rows.length === 1 ? [`strategy ${describeRow(rows[0]!)}`] : []),
    ...(report === undefined ? [] : ["", formatParameterReport(report)]),
    ...(rows.length > 0 ? ["", methodTable(rows, baseTotal)] : []),
    ...(taskRows.length > 0 ? ["", taskCostTable(taskRows)] : []),
  ];
  ctx.io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

interface MethodRow {
  readonly method: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly trainable: number;
  readonly added: number;
  readonly percentOfBase: number;
}

function strategyFlags(ctx: CommandContext): StrategySpec[] {
  const raw = ctx.flags.strategy;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  return values.map((text) => {
    let value: unknown = text;
    if (text.trim().startsWith("{")) {
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`--strategy is not valid JSON: ${(e as Error).message}`, "info");
      }
    }
    return parseStrategySpec(new ConfigValidator("--strategy"), value);
  });
}

function describeRow(r: MethodRow): string {
  return `${r.method}${Object.keys(r.options).length ? ` ${JSON.stringify(r.options)}` : ""}`;
}

function methodTable(rows: readonly MethodRow[], baseTotal: number): string {
  const fmt = (n: number): string => n.toLocaleString("en-US");
  return [
    `per method (base model: ${fmt(baseTotal)} parameters):`,
    formatTable([
      ["method", "trainable", "% of base", "added"],
      ...rows.map((r) => [r.method, fmt(r.trainable), `${r.percentOfBase.toFixed(3)}%`, fmt(r.added)]),
    ]),
  ].join("\n");
}
