import { Template } from "@huggingface/jinja";
import { TunekitError } from "../../errors.js";
import type { ChatMessage } from "./causal-lm-examples.js";

/**
 * A rendered conversation and the character spans `[start, end)` of its assistant turns
 * (each from after the generation prompt to the end of the turn, end-of-turn marker included).
 *
 * @example
 * ```ts
 * const { text, assistantSpans } = template.renderWithSpans(messages);
 * text.slice(...assistantSpans[0]!); // "Paris<|im_end|>\n"
 * ```
 */
export interface RenderedChat {
  readonly text: string;
  readonly assistantSpans: readonly (readonly [number, number])[];
}

/** Longest chat template accepted (characters); real ones are a few kB. */
const MAX_TEMPLATE_CHARS = 200_000;

/**
 * A model's chat template (`chat_template` in `tokenizer_config.json`, Jinja) rendered with
 * `@huggingface/jinja`, the implementation Transformers.js uses, given `messages`,
 * `add_generation_prompt`, `bos_token` and `eos_token` as transformers passes them.
 *
 * Assistant spans are found by rendering incrementally, as TRL does without generation
 * markers: for the assistant message `i`, the conversation up to `i - 1` rendered with the
 * generation prompt is a prefix `P`, and the conversation up to `i` is `P + turn`; the turn is
 * the span. Every partial rendering must be a prefix of the full one, or the template is not
 * incremental (it rewrites earlier turns) and `renderWithSpans` says so instead of guessing.
 *
 * @example
 * ```ts
 * const template = ChatTemplate.fromTokenizerConfig(JSON.parse(configText));
 * const text = template.render([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
 * ```
 */
export class ChatTemplate {
  readonly source: string;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly #template: Template;

  constructor(source: string, specials: { readonly bosToken?: string; readonly eosToken?: string } = {}) {
    if (typeof source !== "string" || source.length === 0 || source.length > MAX_TEMPLATE_CHARS) {
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `chat template is ${typeof source === "string" ? `${source.length} characters` : typeof source}; ` +
          `expected a non-empty Jinja string of at most ${MAX_TEMPLATE_CHARS} characters`,
      );
    }
    try {
      this.#template = new Template(source);
    } catch (e) {
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `chat template does not parse as Jinja (${e instanceof Error ? e.message : String(e)}); check chat_template in tokenizer_config.json`,
        { cause: e },
      );
    }
    this.source = source;
    this.bosToken = specials.bosToken;
    this.eosToken = specials.eosToken;
  }

  /**
   * The template of a parsed `tokenizer_config.json` (`chat_template` as a string, or the
   * list of `{name, template}` whose `default` entry is used), with its `bos_token` and
   * `eos_token`; `TOKENIZER_INVALID` when there is none.
   *
   * @example
   * ```ts
   * const template = ChatTemplate.fromTokenizerConfig({ chat_template: "{% for m in messages %}...", eos_token: "</s>" });
   * ```
   */
  static fromTokenizerConfig(config: unknown, source = "tokenizer_config.json"): ChatTemplate {
    const c =
      typeof config === "object" && config !== null && !Array.isArray(config)
        ? (config as Record<string, unknown>)
        : {};
    let t = c.chat_template;
    if (Array.isArray(t)) {
      const named = t.find(
        (e) => typeof e === "object" && e !== null && (e as { name?: unknown }).name === "default",
      );
      t = named === undefined ? undefined : (named as { template?: unknown }).template;
    }
    if (typeof t !== "string") {
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `${source} has no chat_template (found ${t === undefined ? "none" : typeof t}); chat data needs the model's ` +
          "template: use a chat/instruct model's tokenizer, or pass a ChatTemplate built from a Jinja string",
      );
    }
    const token = (v: unknown): string | undefined =>
      typeof v === "string"
        ? v
        : typeof v === "object" && v !== null && typeof (v as { content?: unknown }).content === "string"
          ? (v as { content: string }).content
          : undefined;
    const bosToken = token(c.bos_token);
    const eosToken = token(c.eos_token);
    return new ChatTemplate(t, {
      ...(bosToken === undefined ? {} : { bosToken }),
      ...(eosToken === undefined ? {} : { eosToken }),
    });
  }

  /**
   * The conversation as text; with `addGenerationPrompt` it ends with the opening of an
   * assistant turn (for generation). Template errors (`raise_exception`) are `DATA_INVALID`.
   *
   * @example
   * ```ts
   * template.render([{ role: "user", content: "2+2?" }], { addGenerationPrompt: true });
   * ```
   */
  render(messages: readonly ChatMessage[], options: { readonly addGenerationPrompt?: boolean } = {}): string {
    try {
      return this.#template.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: options.addGenerationPrompt ?? false,
        bos_token: this.bosToken ?? "",
        eos_token: this.eosToken ?? "",
      });
    } catch (e) {
      throw new TunekitError(
        "DATA_INVALID",
        `chat template failed on a conversation of ${messages.length} messages ` +
          `(roles ${messages.map((m) => m.role).join(", ") || "none"}): ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  /**
   * The full conversation and the spans of its assistant turns (see the class comment).
   *
   * @example
   * ```ts
   * const { text, assistantSpans } = template.renderWithSpans([
   *   { role: "user", content: "Capital of France?" },
   *   { role: "assistant", content: "Paris" },
   * ]);
   * ```
   */
  renderWithSpans(messages: readonly ChatMessage[]): RenderedChat {
    const text = this.render(messages);
    const spans: [number, number][] = [];
    for (let i = 0; i < messages.length; i++) {
      if (messages[i]!.role !== "assistant") continue;
      const prefix = this.render(messages.slice(0, i), { addGenerationPrompt: true });
      const upTo = this.render(messages.slice(0, i + 1));
      if (!upTo.startsWith(prefix) || !text.startsWith(upTo)) {
        throw new TunekitError(
          "DATA_INVALID",
          `chat template is not incremental at message ${i} (assistant): rendering the conversation up to it ` +
            "is not a prefix of the whole rendering (the template rewrites earlier turns, e.g. drops reasoning), " +
            "so the assistant tokens cannot be located; use assistantOnly: false or a template that appends turns",
        );
      }
      if (upTo.length > prefix.length) spans.push([prefix.length, upTo.length]);
    }
    return { text, assistantSpans: spans };
  }
}
