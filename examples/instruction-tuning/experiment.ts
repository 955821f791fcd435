import {
  type Backend,
  type CausalLm,
  loadCausalLmCheckpoint,
  loadTokenizer,
  type Tokenizer,
  TunekitError,
} from "@tunekit/core";
import { type EvalItem, evaluateByGeneration, modelGenerator, type TaskScore } from "./generation-eval.js";
import { type LoraTrainOptions, type TrainCost, trainLora } from "./lora-train.js";
import { type PromptFormat, plainFormat, promptIds, readPromptFormat, trainingExample } from "./prompting.js";
import { fewShotRows, loadTaskRows, type TaskRows } from "./task-data.js";
import { castRow, type InstructionTask, taskByName } from "./tasks.js";

/**
 * Settings of {@link runExperiment}: the model folder, where the data set configs are, the
 * tasks trained on and the one held out, rows per task, LoRA and generation settings, the
 * backend, and an optional line logger.
 *
 * @example
 * ```ts
 * const o: ExperimentOptions = { modelDir, dataDir: "examples/data", baseDir: ".", trainTasks: ["sst2"], heldOut: "cr", trainRows: 64, devRows: 16, lora, generation: { batchSize: 48, maxNewTokens: 4 }, backend, seed: 1 };
 * ```
 */
export interface ExperimentOptions {
  readonly modelDir: string;
  readonly dataDir: string;
  readonly baseDir: string;
  readonly trainTasks: readonly string[];
  readonly heldOut: string;
  readonly trainRows: number;
  readonly devRows: number;
  readonly lora: LoraTrainOptions;
  readonly generation: { readonly batchSize: number; readonly maxNewTokens: number };
  readonly backend: Backend;
  readonly seed: number;
  /**
   * How the LoRAs are trained and asked: `plain` (`<instruction>\nAnswer: <answer>`, the default)
   * or `chat` (the model's chat template: user instruction, assistant answer). Prompting the base
   * model is always plain text, as it was pre-trained.
   */
  readonly instructionFormat?: "plain" | "chat";
  readonly log?: (line: string) => void;
}

/**
 * Cost of a method beside its scores: trainable parameters, training rows, tokens, supervised
 * tokens and steps, training seconds, prompt tokens fed while evaluating and evaluation seconds.
 *
 * @example
 * ```ts
 * const c: MethodCost = { trainableParameters: 0, trainRows: 0, trainTokens: 0, supervisedTokens: 0, steps: 0, trainSeconds: 0, evalPromptTokens: 4096, evalSeconds: 3.2 };
 * ```
 */
export interface MethodCost {
  readonly trainableParameters: number;
  readonly trainRows: number;
  readonly trainTokens: number;
  readonly supervisedTokens: number;
  readonly steps: number;
  readonly trainSeconds: number;
  readonly evalPromptTokens: number;
  readonly evalSeconds: number;
}

/**
 * One line of the results table: the method, what it is, its scores per task and its cost,
 * and a few generations per task to look at.
 *
 * @example
 * ```ts
 * result.methods.find((m) => m.method === "instruction-tuned LoRA")?.scores.cr?.labelAccuracy;
 * ```
 */
export interface MethodResult {
  readonly method: string;
  readonly description: string;
  readonly scores: Readonly<Record<string, TaskScore>>;
  readonly cost: MethodCost;
  readonly samples: Readonly<Record<string, readonly string[]>>;
}

/**
 * Everything a run measured: the model, the tasks (which one was held out, rows), each
 * method's scores and cost, the settings and the wall time.
 *
 * @example
 * ```ts
 * const result = await runExperiment(options);
 * console.log(resultsMarkdown(result));
 * ```
 */
export interface ExperimentResult {
  readonly model: string;
  readonly tasks: readonly {
    readonly name: string;
    readonly heldOut: boolean;
    readonly trainRows: number;
    readonly devRows: number;
  }[];
  readonly methods: readonly MethodResult[];
  readonly settings: Record<string, unknown>;
  readonly seconds: number;
}

const NO_TRAINING = {
  trainableParameters: 0,
  trainRows: 0,
  trainTokens: 0,
  supervisedTokens: 0,
  steps: 0,
  trainSeconds: 0,
};

function sumCosts(costs: readonly TrainCost[]): Omit<MethodCost, "evalPromptTokens" | "evalSeconds"> {
  const sum = (f: (c: TrainCost) => number): number => costs.reduce((a, c) => a + f(c), 0);
  return {
    trainableParameters: sum((c) => c.trainableParameters),
    trainRows: sum((c) => c.rows),
    trainTokens: sum((c) => c.tokens),
    supervisedTokens: sum((c) => c.supervisedTokens),
    steps: sum((c) => c.steps),
    trainSeconds: sum((c) => c.seconds),
  };
}

interface Setup {
  readonly base: CausalLm;
  readonly tokenizer: Tokenizer;
  readonly format: PromptFormat;
  readonly tasks: readonly InstructionTask[];
  readonly rows: ReadonlyMap<string, TaskRows>;
  /** Longest prompt that leaves room for the answer in the model's context. */
  readonly room: number;
  readonly lora: LoraTrainOptions;
}

/**
 * Words kept per text (query, demonstrations), longest first: a prompt too long for the model's
 * context (with room for the answer) is rebuilt with the next, shorter pair.
 */
const CLIPS: readonly (readonly [number, number])[] = [
  [64, 32],
  [64, 16],
  [48, 8],
  [32, 4],
  [16, 2],
];

/** Evaluation rows of `tasks`: dev row i uses template i mod 3; `shots` prepends one answered row per label. */
function evalItems(
  s: Setup,
  format: PromptFormat,
  tasks: readonly InstructionTask[],
  shots: boolean,
): EvalItem[] {
  return tasks.flatMap((task) => {
    const { train, dev } = s.rows.get(task.name)!;
    const demos = shots ? fewShotRows(task, train) : [];
    return dev.map((row, i) => {
      const t = i % task.templates.length;
      const query = castRow(task, row, t);
      let ids: number[] = [];
      for (const [queryWords, demoWords] of CLIPS) {
        const q = castRow(task, row, t, queryWords);
        ids = promptIds(
          format,
          s.tokenizer,
          q,
          demos.map((d) => castRow(task, d, t, demoWords)),
        );
        if (ids.length <= s.room) break;
      }
      return {
        task: task.name,
        promptIds: ids,
        answer: query.answer,
        label: row.label,
        answers: task.answers,
      };
    });
  });
}

/** Training examples of `task`: train row i cast with template i mod 3. */
function trainExamples(s: Setup, task: InstructionTask) {
  return s.rows
    .get(task.name)!
    .train.map((row, i) => trainingExample(s.format, castRow(task, row, i % task.templates.length)));
}

async function evaluate(
  s: Setup,
  o: ExperimentOptions,
  model: CausalLm,
  items: readonly EvalItem[],
): Promise<{
  scores: Record<string, TaskScore>;
  samples: Record<string, string[]>;
  seconds: number;
  promptTokens: number;
}> {
  const generator = modelGenerator(model, o.backend, s.tokenizer, {
    ...o.generation,
    stopTokenIds: s.format.stopIds,
  });
  const r = await evaluateByGeneration(items, generator);
  const samples: Record<string, string[]> = {};
  items.forEach((it, i) => {
    const list = (samples[it.task] ??= []);
    if (list.length < 5) list.push(r.generations[i]!);
  });
  const promptTokens = items.reduce((n, it) => n + it.promptIds.length, 0);
  return { scores: { ...r.scores }, samples, seconds: r.seconds, promptTokens };
}

/** The label of `train` seen most often (ties: the first in answer order) scored on `dev`. */
function majorityScore(task: InstructionTask, rows: TaskRows): TaskScore {
  const counts = new Map<string, number>();
  for (const r of rows.train) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  let best = Object.keys(task.answers)[0]!;
  for (const label of Object.keys(task.answers))
    if ((counts.get(label) ?? 0) > (counts.get(best) ?? 0)) best = label;
  const hits = rows.dev.filter((r) => r.label === best).length / Math.max(1, rows.dev.length);
  return { rows: rows.dev.length, exactMatch: hits, labelAccuracy: hits, answered: 1 };
}

/**
 * Runs the comparison on one model folder: the majority label (reference), zero-shot and
 * few-shot prompting of the base model, one LoRA instruction-tuned on the mixture of
 * `trainTasks` (never on `heldOut`), and one LoRA per task (each on that task's rows only, the
 * held-out task included). Every method is scored by greedy generation on the same dev rows of
 * every task. Returns the trained instruction-tuned model beside the results (to save it).
 *
 * @example
 * ```ts
 * const { result } = await runExperiment(options);
 * console.log(resultsMarkdown(result));
 * ```
 */
export async function runExperiment(
  o: ExperimentOptions,
): Promise<{ result: ExperimentResult; instructionTuned: CausalLm }> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const names = [...o.trainTasks, o.heldOut];
  if (o.trainTasks.includes(o.heldOut) || new Set(names).size !== names.length) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `tasks ${o.trainTasks.join(", ")} with ${o.heldOut} held out: the held-out task must not be trained on and no task may repeat; ` +
        "pass distinct training tasks and another held-out task",
    );
  }
  const tasks = names.map(taskByName);
  const { model: base } = await loadCausalLmCheckpoint(o.modelDir);
  const tokenizer = await loadTokenizer(o.modelDir);
  const modelFormat = await readPromptFormat(o.modelDir, tokenizer, base);
  if (o.instructionFormat === "chat" && modelFormat.kind !== "chat") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${o.modelDir}/tokenizer_config.json has no chat_template, so instructions cannot be chats; ` +
        'use instructionFormat "plain" (--format plain) or a model folder with a chat template',
    );
  }
  const format = o.instructionFormat === "chat" ? modelFormat : plainFormat(modelFormat);
  const rows = new Map<string, TaskRows>();
  for (const task of tasks) rows.set(task.name, await loadTaskRows(task, o));
  const context = ("llamaConfig" in base ? base.llamaConfig : base.gpt2Config).maxPositionEmbeddings;
  const lora = { ...o.lora, maxLength: Math.min(o.lora.maxLength, context) };
  const room = context - o.generation.maxNewTokens;
  const s: Setup = { base, tokenizer, format, tasks, rows, room, lora };
  log(
    `model ${o.modelDir} (${base.architecture}), LoRA instructions as ${format.kind}; tasks ${o.trainTasks.join(", ")}; held out ${o.heldOut}`,
  );

  const methods: MethodResult[] = [];
  methods.push({
    method: "majority label",
    description: "the most frequent training label, always (reference)",
    scores: Object.fromEntries(tasks.map((t) => [t.name, majorityScore(t, rows.get(t.name)!)])),
    cost: { ...NO_TRAINING, evalPromptTokens: 0, evalSeconds: 0 },
    samples: {},
  });
  for (const shots of [false, true]) {
    const e = await evaluate(s, o, base, evalItems(s, plainFormat(modelFormat), tasks, shots));
    methods.push({
      method: shots ? "few-shot" : "zero-shot",
      description: shots
        ? "base model, plain-text prompt with one answered example per label before the question"
        : "base model, plain-text prompt: the instruction, then `Answer:`",
      scores: e.scores,
      cost: { ...NO_TRAINING, evalPromptTokens: e.promptTokens, evalSeconds: e.seconds },
      samples: e.samples,
    });
    log(`${methods.at(-1)!.method}: eval ${e.seconds.toFixed(1)}s`);
  }

  const mixture = tasks.filter((t) => t.name !== o.heldOut).flatMap((t) => trainExamples(s, t));
  const tuned = await trainLora(base, o.backend, tokenizer, format, mixture, lora);
  log(
    `instruction tuning: ${tuned.cost.steps} steps in ${tuned.cost.seconds.toFixed(1)}s, loss ${tuned.cost.firstLoss.toFixed(3)} -> ${tuned.cost.lastLoss.toFixed(3)}`,
  );
  const te = await evaluate(s, o, tuned.model, evalItems(s, format, tasks, false));
  methods.push({
    method: "instruction-tuned LoRA",
    description: `one LoRA on the mixture of ${o.trainTasks.join(", ")} (${o.heldOut} held out), zero-shot prompts`,
    scores: te.scores,
    cost: { ...sumCosts([tuned.cost]), evalPromptTokens: te.promptTokens, evalSeconds: te.seconds },
    samples: te.samples,
  });
  log(`instruction-tuned LoRA: eval ${te.seconds.toFixed(1)}s`);

  const costs: TrainCost[] = [];
  const perTask: {
    scores: Record<string, TaskScore>;
    samples: Record<string, string[]>;
    seconds: number;
    tokens: number;
  } = {
    scores: {},
    samples: {},
    seconds: 0,
    tokens: 0,
  };
  for (const task of tasks) {
    const own = await trainLora(base, o.backend, tokenizer, format, trainExamples(s, task), lora);
    costs.push(own.cost);
    const e = await evaluate(s, o, own.model, evalItems(s, format, [task], false));
    Object.assign(perTask.scores, e.scores);
    Object.assign(perTask.samples, e.samples);
    perTask.seconds += e.seconds;
    perTask.tokens += e.promptTokens;
    log(
      `LoRA on ${task.name}: ${own.cost.steps} steps in ${own.cost.seconds.toFixed(1)}s, loss ${own.cost.firstLoss.toFixed(3)} -> ${own.cost.lastLoss.toFixed(3)}; eval ${e.seconds.toFixed(1)}s`,
    );
  }
  methods.push({
    method: "LoRA per task",
    description: `one LoRA per task, each trained on that task only (${tasks.length} adapters; costs summed)`,
    scores: perTask.scores,
    cost: { ...sumCosts(costs), evalPromptTokens: perTask.tokens, evalSeconds: perTask.seconds },
    samples: perTask.samples,
  });

  const result: ExperimentResult = {
    model: o.modelDir,
    tasks: tasks.map((t) => ({
      name: t.name,
      heldOut: t.name === o.heldOut,
      trainRows: rows.get(t.name)!.train.length,
      devRows: rows.get(t.name)!.dev.length,
    })),
    methods,
    settings: {
      lora,
      context,
      generation: o.generation,
      trainRows: o.trainRows,
      devRows: o.devRows,
      seed: o.seed,
      instructionFormat: format.kind,
    },
    seconds: (performance.now() - started) / 1000,
  };
  return { result, instructionTuned: tuned.model };
}
