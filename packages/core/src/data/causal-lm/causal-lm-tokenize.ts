import { TunekitError } from "../../errors.js";
import type { TrainerData } from "../../trainer/trainer-model.js";
import type { Tokenizer } from "../tokenizer.js";
import type { CausalLmExample } from "./causal-lm-examples.js";
import type { ChatTemplate } from "./chat-template.js";

/**
 * Options of {@link tokenizeCausalLm}.
 *
 * @example
 * ```ts
 * const opts: CausalLmTokenizeOptions = { maxLength: 512, chatTemplate, eosId: 2 };
 * ```
 */
export interface CausalLmTokenizeOptions {
  /** Longest row in tokens; longer examples keep their first `maxLength` tokens. */
  readonly maxLength: number;
  /** Needed for chat data: the model's chat template. */
  readonly chatTemplate?: ChatTemplate;
  /** Chat: loss on assistant turns only (default true); false trains on every token. */
  readonly assistantOnly?: boolean;
  /** Prompt-completion and alpaca: loss on the completion only (default true). */
  readonly completionOnly?: boolean;
  /** Prepended to text, prompt-completion and alpaca rows (not chat: the template adds it). */
  readonly bosId?: number;
  /** Appended to text, prompt-completion and alpaca rows and supervised, so the model learns to stop. */
  readonly eosId?: number;
}

/**
 * Causal-LM rows for the Trainer: {@link TrainerData} whose `tokenLabels` are the ids with
 * -100 on unsupervised tokens (the model shifts them by one, as Hugging Face does), plus the
 * indices of examples dropped because no supervised token was left after truncation, and
 * the number of supervised tokens (labels other than -100 after position 0).
 *
 * @example
 * ```ts
 * const data = tokenizeCausalLm(examples, tokenizer, { maxLength: 256, chatTemplate });
 * await new Trainer({ model, backend }).fit(data);
 * ```
 */
export type CausalLmData = TrainerData & {
  readonly tokenLabels: readonly Int32Array[];
  readonly dropped: readonly number[];
  readonly numLossTokens: number;
};

/**
 * The prompt of an Alpaca example (the Stanford Alpaca template, with or without `input`);
 * the `output` follows it as the completion.
 *
 * @example
 * ```ts
 * alpacaPrompt("Add the numbers.", "2 and 3"); // "Below is an instruction ...### Response:\n"
 * ```
 */
export function alpacaPrompt(instruction: string, input: string): string {
  return input === ""
    ? "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
        `### Instruction:\n${instruction}\n\n### Response:\n`
    : "Below is an instruction that describes a task, paired with an input that provides further context. " +
        "Write a response that appropriately completes the request.\n\n" +
        `### Instruction:\n${instruction}\n\n### Input:\n${input}\n\n### Response:\n`;
}

/** A piece of an example's text and whether its tokens carry labels. */
type Segment =
  | { readonly text: string; readonly supervised: boolean }
  | { readonly id: number; readonly supervised: boolean };

/**
 * Tokenises causal-LM examples into rows with labels (see {@link CausalLmData}): `text` is
 * supervised everywhere; `prompt-completion` and `alpaca` on the completion (and EOS); `chat`
 * renders the chat template and supervises the assistant turns ({@link ChatTemplate.renderWithSpans}).
 * Each piece (prompt, completion, template text between spans) is tokenised on its own, so
 * a token never straddles a prompt/answer boundary; special tokens in the rendered text
 * (`<|im_start|>`, ...) are recognised as the tokenizer's added tokens.
 *
 * @example
 * ```ts
 * const data = tokenizeCausalLm(
 *   [{ format: "prompt-completion", prompt: "2+2=", completion: "4" }],
 *   tokenizer,
 *   { maxLength: 64, eosId: tokenizer.tokenToId("</s>") },
 * );
 * ```
 */
export function tokenizeCausalLm(
  examples: readonly CausalLmExample[],
  tokenizer: Tokenizer,
  options: CausalLmTokenizeOptions,
): CausalLmData {
  const maxLength = options.maxLength;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `tokenizeCausalLm: maxLength must be an integer of at least 2 (a causal-LM row needs a next token), got ${String(maxLength)}`,
    );
  }
  for (const [name, id] of [
    ["bosId", options.bosId],
    ["eosId", options.eosId],
  ] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id >= tokenizer.vocabSize)) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `tokenizeCausalLm: ${name} ${String(id)} is not a token id of this tokenizer (0 .. ${tokenizer.vocabSize - 1})`,
      );
    }
  }
  const ids: Int32Array[] = [];
  const labels: Int32Array[] = [];
  const dropped: number[] = [];
  let numTruncated = 0;
  let numLossTokens = 0;
  examples.forEach((example, index) => {
    const row: number[] = [];
    const rowLabels: number[] = [];
    let truncated = false;
    for (const seg of segments(example, options)) {
      const pieceIds = "id" in seg ? [seg.id] : seg.text === "" ? [] : tokenizer.tokenize(seg.text);
      for (const id of pieceIds) {
        if (row.length === maxLength) {
          truncated = true;
          break;
        }
        row.push(id);
        rowLabels.push(seg.supervised ? id : -100);
      }
      if (truncated) break;
    }
    let loss = 0;
    for (let t = 1; t < rowLabels.length; t++) if (rowLabels[t] !== -100) loss++;
    if (loss === 0) {
      dropped.push(index);
      return;
    }
    if (truncated) numTruncated++;
    numLossTokens += loss;
    ids.push(Int32Array.from(row));
    labels.push(Int32Array.from(rowLabels));
  });
  if (ids.length === 0) {
    throw new TunekitError(
      "DATA_INVALID",
      `tokenizeCausalLm: none of the ${examples.length} examples has a supervised token after position 0 within ` +
        `maxLength ${maxLength} (empty completions or assistant turns, or prompts longer than maxLength); ` +
        "raise maxLength or check the data",
    );
  }
  return {
    ...causalLmRows(ids, labels, { padId: tokenizer.padId, maxLength, numTruncated }),
    dropped,
    numLossTokens,
  };
}

/**
 * Trainer rows of a causal LM: token ids and their per-token labels (-100 where no loss),
 * no token types (zeros) and no sequence labels.
 *
 * @example
 * ```ts
 * const data = causalLmRows([Int32Array.of(5, 6, 7)], [Int32Array.of(-100, 6, 7)], { padId: 0, maxLength: 8 });
 * ```
 */
export function causalLmRows(
  ids: readonly Int32Array[],
  tokenLabels: readonly Int32Array[],
  options: { readonly padId: number; readonly maxLength: number; readonly numTruncated?: number },
): TrainerData & { readonly tokenLabels: readonly Int32Array[] } {
  return {
    task: "classification",
    ids,
    tokenTypeIds: ids.map((r) => new Int32Array(r.length)),
    lengths: Int32Array.from(ids, (r) => r.length),
    labels: undefined,
    padId: options.padId,
    maxLength: options.maxLength,
    numTruncated: options.numTruncated ?? 0,
    tokenLabels,
  };
}

function segments(example: CausalLmExample, o: CausalLmTokenizeOptions): Segment[] {
  const completionOnly = o.completionOnly ?? true;
  const plain = (prompt: string, completion: string): Segment[] => [
    ...(o.bosId === undefined ? [] : [{ id: o.bosId, supervised: !completionOnly }]),
    { text: prompt, supervised: !completionOnly },
    { text: completion, supervised: true },
    ...(o.eosId === undefined ? [] : [{ id: o.eosId, supervised: true }]),
  ];
  switch (example.format) {
    case "text":
      return [
        ...(o.bosId === undefined ? [] : [{ id: o.bosId, supervised: true }]),
        { text: example.text, supervised: true },
        ...(o.eosId === undefined ? [] : [{ id: o.eosId, supervised: true }]),
      ];
    case "prompt-completion":
      return plain(example.prompt, example.completion);
    case "alpaca":
      return plain(alpacaPrompt(example.instruction, example.input), example.output);
    case "chat": {
      if (o.chatTemplate === undefined) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          "tokenizeCausalLm: chat data needs chatTemplate (ChatTemplate.fromTokenizerConfig(tokenizer_config.json))",
        );
      }
      if (o.assistantOnly === false)
        return [{ text: o.chatTemplate.render(example.messages), supervised: true }];
      const { text, assistantSpans } = o.chatTemplate.renderWithSpans(example.messages);
      const out: Segment[] = [];
      let at = 0;
      for (const [start, end] of assistantSpans) {
        out.push(
          { text: text.slice(at, start), supervised: false },
          { text: text.slice(start, end), supervised: true },
        );
        at = end;
      }
      out.push({ text: text.slice(at), supervised: false });
      return out;
    }
  }
}
