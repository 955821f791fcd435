import { type Backend, type CausalLm, type GenerateOptions, generate, type Tokenizer } from "@tunekit/core";
import { Gpt2LMHeadModel } from "@tunekit/core/models";
import type { ChatMessage, ChatTemplate } from "@tunekit/core/data";

/**
 * One answered turn of a chat session: the user's message, the reply, how many tokens the
 * rendered prompt had and how many earlier turns were dropped to fit the context.
 *
 * @example
 * ```ts
 * const t: ChatTurn = { user: "hi", reply: "hello", promptTokens: 12, droppedTurns: 0, finishReason: "stop-token" };
 * ```
 */
export interface ChatTurn {
  readonly user: string;
  readonly reply: string;
  readonly promptTokens: number;
  readonly droppedTurns: number;
  readonly finishReason: string;
}

/**
 * What a chat session runs on: the model (base or adapted), backend, tokenizer, chat template,
 * generation options (sampling, `maxNewTokens`), the context length the prompt plus reply must
 * fit in, an optional system message and extra stop token ids (the template's end-of-turn token).
 *
 * @example
 * ```ts
 * const s: ChatSessionSpec = { model, backend, tokenizer, template, contextLength: 2048, generation: { maxNewTokens: 128 } };
 * ```
 */
export interface ChatSessionSpec {
  readonly model: CausalLm;
  readonly backend: Backend;
  readonly tokenizer: Tokenizer;
  readonly template: ChatTemplate;
  readonly contextLength: number;
  readonly generation: GenerateOptions & { readonly maxNewTokens: number };
  readonly system?: string | undefined;
  readonly stopTokenIds?: readonly number[];
  /** Prepended when the rendered prompt does not start with it (`add_bos_token`). */
  readonly bosTokenId?: number | undefined;
}

/**
 * The model's context length: `max_position_embeddings` (Llama family) or `n_positions` (GPT-2).
 *
 * @example
 * ```ts
 * modelContextLength(model); // 2048
 * ```
 */
export function modelContextLength(model: CausalLm): number {
  return model instanceof Gpt2LMHeadModel
    ? model.gpt2Config.maxPositionEmbeddings
    : model.llamaConfig.maxPositionEmbeddings;
}

/**
 * Runs a chat over `lines` (one user message per line; `/reset` clears the history, `/exit`
 * or `/quit` ends; blank lines are skipped): each message is added to the history, the history
 * is rendered with the chat template (generation prompt on), the oldest turns are dropped
 * while prompt plus `maxNewTokens` exceed the context length, and the reply is generated and
 * streamed through `write` token by token (decoded text, special tokens skipped), then kept
 * in the history. `notice` gets `/reset` acknowledgements and skipped messages. Returns the
 * answered turns.
 *
 * @example
 * ```ts
 * const turns = await runChatSession(spec, lines, (text) => process.stdout.write(text), console.error);
 * ```
 */
export async function runChatSession(
  spec: ChatSessionSpec,
  lines: AsyncIterable<string>,
  write: (text: string) => void,
  notice: (text: string) => void,
  prompt: () => void = () => {},
): Promise<ChatTurn[]> {
  const turns: ChatTurn[] = [];
  let history: ChatMessage[] = [];
  const system: ChatMessage[] = spec.system === undefined ? [] : [{ role: "system", content: spec.system }];
  const budget = spec.contextLength - spec.generation.maxNewTokens;
  prompt();
  for await (const raw of lines) {
    const line = raw.replace(/\r$/, "");
    const command = line.trim();
    if (command === "") {
      prompt();
      continue;
    }
    if (command === "/exit" || command === "/quit") break;
    if (command === "/reset") {
      history = [];
      notice("(history cleared)\n");
      prompt();
      continue;
    }
    let messages: ChatMessage[] = [...history, { role: "user", content: line }];
    let ids = encodePrompt(spec, [...system, ...messages]);
    let dropped = 0;
    // drop the oldest exchanges (user + assistant) until the prompt and the reply fit
    while (ids.length > budget && messages.length > 1) {
      messages = messages.slice(messages[1]?.role === "assistant" ? 2 : 1);
      dropped++;
      ids = encodePrompt(spec, [...system, ...messages]);
    }
    if (ids.length > budget) {
      notice(
        `(message skipped: its prompt has ${ids.length} tokens, more than the ${budget} the context of ` +
          `${spec.contextLength} leaves beside ${spec.generation.maxNewTokens} new tokens)\n`,
      );
      prompt();
      continue;
    }
    const stops = new Set([
      ...(spec.generation.stopTokenIds ?? spec.model.generationSpec.eosTokenIds),
      ...(spec.stopTokenIds ?? []),
    ]);
    const streamed: number[] = [];
    let shown = "";
    const result = await generate(spec.model, spec.backend, [ids], {
      ...spec.generation,
      stopTokenIds: [...stops],
      tokenizer: spec.tokenizer,
      onToken: (_row, id) => {
        if (stops.has(id)) return;
        streamed.push(id);
        const text = spec.tokenizer.decode(streamed, { skipSpecialTokens: true });
        // print only whole characters: a byte-level token may end inside a UTF-8 sequence
        if (text.startsWith(shown) && !text.endsWith("\uFFFD")) {
          write(text.slice(shown.length));
          shown = text;
        }
      },
    });
    const out = result.sequences[0]!;
    const reply = out.text ?? spec.tokenizer.decode(streamed, { skipSpecialTokens: true });
    if (reply.startsWith(shown)) write(reply.slice(shown.length));
    write("\n");
    history = [...messages, { role: "assistant", content: reply }];
    turns.push({
      user: line,
      reply,
      promptTokens: ids.length,
      droppedTurns: dropped,
      finishReason: out.finishReason,
    });
    prompt();
  }
  return turns;
}

function encodePrompt(spec: ChatSessionSpec, messages: readonly ChatMessage[]): number[] {
  const text = spec.template.render(messages, { addGenerationPrompt: true });
  const ids = [...spec.tokenizer.tokenize(text)]; // as training tokenises rendered chats: no added specials
  if (spec.bosTokenId !== undefined && ids[0] !== spec.bosTokenId) ids.unshift(spec.bosTokenId);
  return ids;
}
