import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CausalLm, type Tokenizer, TunekitError } from "@tunekit/core";
import { type CausalLmExample, ChatTemplate } from "@tunekit/core/data";
import type { CastRow } from "./tasks.js";

/**
 * How instructions are laid out for a model: `chat` when its `tokenizer_config.json` has a
 * `chat_template` (the instruction is a user turn, the answer the assistant's), else `plain`
 * (`<instruction>\nAnswer: <answer>`). `bosId` is prepended to prompts when the tokenizer
 * config asks for it (`add_bos_token`); `eosId` ends plain training rows; `stopIds` end a
 * generation (the model's EOS ids and the template's end-of-turn token).
 *
 * @example
 * ```ts
 * const format = await readPromptFormat("examples/models/llama-4l-h256", tokenizer, model);
 * ```
 */
export type PromptFormat =
  | {
      readonly kind: "chat";
      readonly template: ChatTemplate;
      readonly bosId?: number;
      readonly eosId?: number;
      readonly stopIds: readonly number[];
    }
  | {
      readonly kind: "plain";
      readonly bosId?: number;
      readonly eosId?: number;
      readonly stopIds: readonly number[];
    };

/**
 * Reads the prompt format of a model folder (see {@link PromptFormat}). Throws `CONFIG_INVALID`
 * when `tokenizer_config.json` is not valid JSON.
 *
 * @example
 * ```ts
 * (await readPromptFormat(folder, tokenizer, model)).kind; // "chat"
 * ```
 */
export async function readPromptFormat(
  folder: string,
  tokenizer: Tokenizer,
  model: CausalLm,
): Promise<PromptFormat> {
  const source = join(folder, "tokenizer_config.json");
  const text = await readFile(source, "utf8").catch(() => undefined);
  let record: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      record = (JSON.parse(text) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new TunekitError("CONFIG_INVALID", `${source} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const spec = model.generationSpec;
  const eosId = spec.eosTokenIds[0];
  const bos = "llamaConfig" in model ? model.llamaConfig.bosTokenId : model.gpt2Config.bosTokenId;
  const bosId = record.add_bos_token === true && typeof bos === "number" ? bos : undefined;
  const common = {
    ...(bosId === undefined ? {} : { bosId }),
    ...(eosId === undefined ? {} : { eosId }),
  };
  if (record.chat_template === undefined) return { kind: "plain", ...common, stopIds: spec.eosTokenIds };
  const template = ChatTemplate.fromTokenizerConfig(record, source);
  const endOfTurn = template.eosToken === undefined ? undefined : tokenizer.tokenToId(template.eosToken);
  const stopIds = [...new Set([...spec.eosTokenIds, ...(endOfTurn === undefined ? [] : [endOfTurn])])];
  return { kind: "chat", template, ...common, stopIds };
}

/**
 * The plain-text variant of a format (same BOS, EOS and stop ids, no chat template): how a base
 * model, pre-trained on plain text, is prompted.
 *
 * @example
 * ```ts
 * promptText(plainFormat(format), query, demos).endsWith("Answer:"); // true
 * ```
 */
export function plainFormat(format: PromptFormat): PromptFormat {
  if (format.kind === "plain") return format;
  const { template: _, kind: __, ...rest } = format;
  return { kind: "plain", ...rest };
}

const plainPrompt = (prompt: string): string => `${prompt}\nAnswer:`;

/**
 * A cast row as a training example: a chat (user instruction, assistant answer; loss on the
 * answer and its end-of-turn) or prompt-completion (loss on ` answer` and EOS).
 *
 * @example
 * ```ts
 * trainingExample(format, { prompt: "Is it good? Answer yes or no.", answer: "yes" });
 * ```
 */
export function trainingExample(format: PromptFormat, row: CastRow): CausalLmExample {
  if (format.kind === "chat") {
    return {
      format: "chat",
      messages: [
        { role: "user", content: row.prompt },
        { role: "assistant", content: row.answer },
      ],
    };
  }
  return { format: "prompt-completion", prompt: plainPrompt(row.prompt), completion: ` ${row.answer}` };
}

/**
 * The prompt text of `query` after the answered `demos` (few-shot; none for zero-shot): a chat
 * of alternating user/assistant turns ending in the generation prompt, or plain blocks
 * separated by blank lines ending in `Answer:`.
 *
 * @example
 * ```ts
 * promptText(format, { prompt: "Is it good?", answer: "yes" }, []);
 * ```
 */
export function promptText(format: PromptFormat, query: CastRow, demos: readonly CastRow[]): string {
  if (format.kind === "chat") {
    const messages = demos.flatMap((d) => [
      { role: "user", content: d.prompt },
      { role: "assistant", content: d.answer },
    ]);
    messages.push({ role: "user", content: query.prompt });
    return format.template.render(messages, { addGenerationPrompt: true });
  }
  return [...demos.map((d) => `${plainPrompt(d.prompt)} ${d.answer}`), plainPrompt(query.prompt)].join(
    "\n\n",
  );
}

/**
 * The token ids of {@link promptText}, tokenised as training tokenises rendered chats (special
 * tokens such as `<|im_start|>` are the tokenizer's added tokens), with BOS first when the
 * format asks for it.
 *
 * @example
 * ```ts
 * const ids = promptIds(format, tokenizer, query, demos);
 * ```
 */
export function promptIds(
  format: PromptFormat,
  tokenizer: Tokenizer,
  query: CastRow,
  demos: readonly CastRow[],
): number[] {
  const ids = [...tokenizer.tokenize(promptText(format, query, demos))];
  if (format.bosId !== undefined && ids[0] !== format.bosId) ids.unshift(format.bosId);
  return ids;
}
