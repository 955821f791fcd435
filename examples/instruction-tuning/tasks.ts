import { TunekitError } from "@tunekit/core";

/**
 * One classification data set cast as instructions: the data set config under `examples/data`,
 * the answer word of each label (single lower-case words, distinct within the task), the split
 * evaluated (`validation`, `test`, or `carve`: rows set aside from `train`, never trained on) and
 * three phrasings of the instruction. A template holds `{text}` (and `{text2}` for sentence
 * pairs) and names every answer word, so a model can follow it without having seen the task.
 *
 * @example
 * ```ts
 * const sst2 = TASKS.sst2;
 * sst2.answers.positive; // "positive"
 * ```
 */
export interface InstructionTask {
  readonly name: string;
  /** File name of the data set config in `examples/data`. */
  readonly dataset: string;
  /** Answer word per label name of the data set. */
  readonly answers: Readonly<Record<string, string>>;
  /** Where the evaluation rows come from. */
  readonly devSplit: "validation" | "test" | "carve";
  /** Where training (and few-shot) rows come from. */
  readonly trainSplit: "train" | "validation";
  readonly pair: boolean;
  readonly templates: readonly string[];
}

const sentiment = { negative: "negative", positive: "positive" } as const;
const sentiment3 = { negative: "negative", neutral: "neutral", positive: "positive" } as const;

/**
 * The classification sets of `examples/data` cast as instructions, by name.
 *
 * @example
 * ```ts
 * Object.keys(TASKS); // ["sst2", "subj", "mrpc", "rte", "cola", "cr", "mpqa", "mr", "sst5", "tweeteval"]
 * ```
 */
export const TASKS: Readonly<Record<string, InstructionTask>> = {
  sst2: {
    name: "sst2",
    dataset: "sst2.json",
    answers: sentiment,
    devSplit: "validation",
    trainSplit: "train",
    pair: false,
    templates: [
      "Review: {text}\nIs the sentiment of this review negative or positive?",
      "What is the sentiment of the following movie review? Answer negative or positive.\n{text}",
      "{text}\nDid the critic feel negative or positive about the film?",
    ],
  },
  subj: {
    name: "subj",
    dataset: "subj.json",
    answers: { subjective: "subjective", objective: "objective" },
    devSplit: "carve",
    trainSplit: "train",
    pair: false,
    templates: [
      "Sentence: {text}\nIs this sentence subjective or objective?",
      "Is the following sentence an opinion (subjective) or a plain description (objective)? Answer subjective or objective.\n{text}",
      "{text}\nAnswer subjective or objective: is this an opinion or a fact?",
    ],
  },
  mrpc: {
    name: "mrpc",
    dataset: "mrpc.json",
    answers: { not_paraphrase: "no", paraphrase: "yes" },
    devSplit: "test",
    trainSplit: "train",
    pair: true,
    templates: [
      "Sentence 1: {text}\nSentence 2: {text2}\nDo these two sentences mean the same thing? Answer yes or no.",
      "Is the second sentence a paraphrase of the first? Answer yes or no.\nFirst: {text}\nSecond: {text2}",
      '"{text}"\n"{text2}"\nDo both sentences say the same thing, yes or no?',
    ],
  },
  rte: {
    name: "rte",
    dataset: "rte.json",
    answers: { entailment: "yes", not_entailment: "no" },
    devSplit: "validation",
    trainSplit: "train",
    pair: true,
    templates: [
      "Premise: {text}\nHypothesis: {text2}\nDoes the premise imply the hypothesis? Answer yes or no.",
      "{text}\nQuestion: does it follow that {text2} Answer yes or no.",
      "Read the passage and say whether the statement follows from it. Answer yes or no.\nPassage: {text}\nStatement: {text2}",
    ],
  },
  cola: {
    name: "cola",
    dataset: "cola.json",
    answers: { unacceptable: "no", acceptable: "yes" },
    devSplit: "validation",
    trainSplit: "train",
    pair: false,
    templates: [
      "Sentence: {text}\nIs this sentence grammatical English? Answer yes or no.",
      "Would a native speaker accept the following sentence? Answer yes or no.\n{text}",
      "{text}\nIs the grammar of this sentence correct, yes or no?",
    ],
  },
  cr: {
    name: "cr",
    dataset: "cr.json",
    answers: sentiment,
    devSplit: "carve",
    trainSplit: "train",
    pair: false,
    templates: [
      "Customer review: {text}\nIs this review negative or positive?",
      "Decide whether this product review is negative or positive.\n{text}",
      "{text}\nWas the customer's opinion of the product negative or positive?",
    ],
  },
  mpqa: {
    name: "mpqa",
    dataset: "mpqa.json",
    answers: sentiment,
    devSplit: "carve",
    trainSplit: "train",
    pair: false,
    templates: [
      "Phrase: {text}\nIs the opinion in this phrase negative or positive?",
      "Classify the polarity of the following phrase as negative or positive.\n{text}",
      "{text}\nDoes this phrase sound negative or positive?",
    ],
  },
  mr: {
    name: "mr",
    dataset: "mr.json",
    answers: sentiment,
    devSplit: "carve",
    trainSplit: "train",
    pair: false,
    templates: [
      "Movie review: {text}\nIs this review negative or positive?",
      "Tell whether the reviewer liked the movie: answer negative or positive.\n{text}",
      "{text}\nOverall, is this review negative or positive?",
    ],
  },
  sst5: {
    name: "sst5",
    dataset: "sst5.json",
    answers: sentiment3,
    devSplit: "validation",
    trainSplit: "train",
    pair: false,
    templates: [
      "Review: {text}\nIs the sentiment negative, neutral or positive?",
      "Rate the sentiment of this movie review as negative, neutral or positive.\n{text}",
      "{text}\nWas the critic negative, neutral or positive?",
    ],
  },
  tweeteval: {
    name: "tweeteval",
    dataset: "tweeteval-sentiment.json",
    answers: sentiment3,
    devSplit: "test",
    trainSplit: "validation",
    pair: false,
    templates: [
      "Tweet: {text}\nIs the sentiment of this tweet negative, neutral or positive?",
      "What is the sentiment of the following tweet? Answer negative, neutral or positive.\n{text}",
      "{text}\nDoes this tweet sound negative, neutral or positive?",
    ],
  },
};

/**
 * One labelled row of a task's data set: the text (and second text of a pair) and the label name.
 *
 * @example
 * ```ts
 * const row: TaskRow = { text: "a gorgeous film", label: "positive" };
 * ```
 */
export interface TaskRow {
  readonly text: string;
  readonly text2?: string;
  readonly label: string;
}

/**
 * A row cast as an instruction: the prompt (the filled template) and the expected answer word.
 *
 * @example
 * ```ts
 * const { prompt, answer } = castRow(TASKS.sst2!, { text: "fun", label: "positive" }, 0);
 * ```
 */
export interface CastRow {
  readonly prompt: string;
  readonly answer: string;
}

/** Texts longer than this many words are cut, so every cast row fits the training length. */
export const MAX_WORDS = 64;

function clip(text: string, maxWords: number): string {
  const words = text.trim().split(/\s+/);
  return words.length <= maxWords ? words.join(" ") : `${words.slice(0, maxWords).join(" ")} ...`;
}

/**
 * Fills template `template` of `task` with `row` (texts cut to `maxWords` words, default
 * {@link MAX_WORDS}) and
 * gives the label's answer word. Throws `INVALID_ARGUMENT` for a template index out of range, a
 * label the task has no answer for, or a pair task's row without `text2`.
 *
 * @example
 * ```ts
 * castRow(TASKS.mrpc!, { text: "A cat sat.", text2: "A cat was sitting.", label: "paraphrase" }, 1).answer; // "yes"
 * ```
 */
export function castRow(
  task: InstructionTask,
  row: TaskRow,
  template: number,
  maxWords = MAX_WORDS,
): CastRow {
  const t = task.templates[template];
  if (t === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${task.name}: template ${template} does not exist; expected 0..${task.templates.length - 1}`,
    );
  }
  const answer = task.answers[row.label];
  if (answer === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${task.name}: label ${JSON.stringify(row.label)} has no answer word; expected one of ${Object.keys(task.answers).join(", ")}`,
    );
  }
  if (task.pair && row.text2 === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `${task.name} is a sentence-pair task and the row has no second text; pass text2`,
    );
  }
  // one pass over the template, so braces inside the texts are never read as placeholders
  const prompt = t.replace(/\{text2?\}/g, (m) =>
    clip(m === "{text}" ? row.text : (row.text2 ?? ""), maxWords),
  );
  return { prompt, answer };
}

/**
 * The task of `name`, or `INVALID_ARGUMENT` listing the known ones.
 *
 * @example
 * ```ts
 * taskByName("rte").pair; // true
 * ```
 */
export function taskByName(name: string): InstructionTask {
  const task = TASKS[name];
  if (task === undefined) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `unknown task ${JSON.stringify(name)}; expected one of ${Object.keys(TASKS).join(", ")}`,
    );
  }
  return task;
}
