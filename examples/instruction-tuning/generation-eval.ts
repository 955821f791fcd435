import { type Backend, type CausalLm, generate, type Tokenizer } from "@tunekit/core";
import { isExactMatch, labelOf } from "./label-rule.js";

/**
 * One evaluation row: its task, the prompt's token ids, the expected answer word and label, and
 * the task's answer word per label (for the label rule).
 *
 * @example
 * ```ts
 * const item: EvalItem = { task: "sst2", promptIds: [1, 5, 9], answer: "positive", label: "positive", answers: TASKS.sst2!.answers };
 * ```
 */
export interface EvalItem {
  readonly task: string;
  readonly promptIds: readonly number[];
  readonly answer: string;
  readonly label: string;
  readonly answers: Readonly<Record<string, string>>;
}

/**
 * Turns prompts (token ids) into generated texts, in order; {@link modelGenerator} is the real
 * one (greedy decoding with core's `generate`).
 *
 * @example
 * ```ts
 * const gen: TextGenerator = async (prompts) => prompts.map(() => "positive");
 * ```
 */
export type TextGenerator = (prompts: readonly (readonly number[])[]) => Promise<string[]>;

/**
 * Scores of one task: rows, exact match, label accuracy (the label rule of {@link labelOf}) and
 * the share of generations that name some label at all.
 *
 * @example
 * ```ts
 * const s: TaskScore = { rows: 64, exactMatch: 0.5, labelAccuracy: 0.7, answered: 0.9 };
 * ```
 */
export interface TaskScore {
  readonly rows: number;
  readonly exactMatch: number;
  readonly labelAccuracy: number;
  readonly answered: number;
}

/**
 * What {@link evaluateByGeneration} returns: scores per task, every generation (in item order)
 * and the seconds it took.
 *
 * @example
 * ```ts
 * const { scores, seconds } = await evaluateByGeneration(items, generator);
 * ```
 */
export interface GenerationEval {
  readonly scores: Readonly<Record<string, TaskScore>>;
  readonly generations: readonly string[];
  readonly seconds: number;
}

/**
 * Options of {@link modelGenerator}: rows per `generate` call, most new tokens, and the token
 * ids that end a generation (besides a line break).
 *
 * @example
 * ```ts
 * const o: GeneratorOptions = { batchSize: 48, maxNewTokens: 4, stopTokenIds: [2] };
 * ```
 */
export interface GeneratorOptions {
  readonly batchSize: number;
  readonly maxNewTokens: number;
  readonly stopTokenIds: readonly number[];
}

/**
 * Greedy generation with core's `generate`: prompts sorted by length and run `batchSize` at a
 * time, at most `maxNewTokens` new tokens, stopping at a stop token or a line break; the
 * texts come back decoded without special tokens, in the prompts' order.
 *
 * @example
 * ```ts
 * const texts = await modelGenerator(model, backend, tokenizer, { batchSize: 48, maxNewTokens: 4, stopTokenIds: [2] })([[1, 5, 9]]);
 * ```
 */
export function modelGenerator(
  model: CausalLm,
  backend: Backend,
  tokenizer: Tokenizer,
  o: GeneratorOptions,
): TextGenerator {
  return async (prompts) => {
    const order = prompts.map((_, i) => i).sort((a, b) => prompts[a]!.length - prompts[b]!.length);
    const texts = new Array<string>(prompts.length).fill("");
    for (let start = 0; start < order.length; start += o.batchSize) {
      const chunk = order.slice(start, start + o.batchSize);
      const { sequences } = await generate(
        model,
        backend,
        chunk.map((i) => prompts[i]!),
        {
          maxNewTokens: o.maxNewTokens,
          stopTokenIds: o.stopTokenIds,
          stopStrings: ["\n"],
          tokenizer: { decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }) },
          lengthBucket: 32,
        },
      );
      chunk.forEach((i, k) => {
        texts[i] = sequences[k]!.text ?? "";
      });
    }
    return texts;
  };
}

/**
 * Generates an answer to every item with `generator` and scores it per task: exact match
 * ({@link isExactMatch}) and label accuracy ({@link labelOf}).
 *
 * @example
 * ```ts
 * const { scores } = await evaluateByGeneration(items, modelGenerator(model, backend, tokenizer, options));
 * scores.sst2?.labelAccuracy;
 * ```
 */
export async function evaluateByGeneration(
  items: readonly EvalItem[],
  generator: TextGenerator,
): Promise<GenerationEval> {
  const started = performance.now();
  const generations = await generator(items.map((it) => it.promptIds));
  const tally = new Map<string, { rows: number; exact: number; correct: number; answered: number }>();
  items.forEach((it, i) => {
    const text = generations[i] ?? "";
    const t = tally.get(it.task) ?? { rows: 0, exact: 0, correct: 0, answered: 0 };
    const label = labelOf(text, it.answers);
    t.rows++;
    if (isExactMatch(text, it.answer)) t.exact++;
    if (label === it.label) t.correct++;
    if (label !== undefined) t.answered++;
    tally.set(it.task, t);
  });
  const scores: Record<string, TaskScore> = {};
  for (const [task, t] of tally) {
    scores[task] = {
      rows: t.rows,
      exactMatch: t.exact / t.rows,
      labelAccuracy: t.correct / t.rows,
      answered: t.answered / t.rows,
    };
  }
  return { scores, generations, seconds: (performance.now() - started) / 1000 };
}
