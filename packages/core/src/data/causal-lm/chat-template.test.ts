import { describe, expect, it } from "vitest";
import { isTunekitError } from "../../errors.js";
import type { ChatMessage } from "./causal-lm-examples.js";
import { ChatTemplate } from "./chat-template.js";
import { CHATML_TEMPLATE } from "./test-tokenizer.js";

const chat: ChatMessage[] = [
  { role: "user", content: "Capital of France?" },
  { role: "assistant", content: "Paris" },
  { role: "user", content: "Italy?" },
  { role: "assistant", content: "Rome" },
];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTunekitError(e) ? e.code : `not a TunekitError: ${String(e)}`;
  }
  return undefined;
}

describe("ChatTemplate", () => {
  it("renders ChatML with and without the generation prompt", () => {
    const t = new ChatTemplate(CHATML_TEMPLATE);
    expect(t.render(chat.slice(0, 1), { addGenerationPrompt: true })).toBe(
      "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("finds each assistant turn by incremental rendering", () => {
    const t = new ChatTemplate(CHATML_TEMPLATE);
    const { text, assistantSpans } = t.renderWithSpans(chat);
    expect(assistantSpans.map(([a, b]) => text.slice(a, b))).toEqual([
      "Paris<|im_end|>\n",
      "Rome<|im_end|>\n",
    ]);
  });

  it("Llama-2 style template with bos/eos tokens from tokenizer_config", () => {
    const t = ChatTemplate.fromTokenizerConfig({
      bos_token: { content: "<s>", lstrip: false },
      eos_token: "</s>",
      chat_template:
        "{% for m in messages %}{% if m.role == 'user' %}{{ bos_token + '[INST] ' + m.content + ' [/INST]' }}" +
        "{% elif m.role == 'assistant' %}{{ ' ' + m.content + ' ' + eos_token }}{% endif %}{% endfor %}",
    });
    const { text, assistantSpans } = t.renderWithSpans(chat);
    expect(text.startsWith("<s>[INST] Capital of France? [/INST] Paris </s><s>")).toBe(true);
    expect(assistantSpans.map(([a, b]) => text.slice(a, b))).toEqual([" Paris </s>", " Rome </s>"]);
  });

  it("takes the 'default' entry of a list of named templates", () => {
    const t = ChatTemplate.fromTokenizerConfig({
      chat_template: [
        { name: "tool_use", template: "x" },
        { name: "default", template: CHATML_TEMPLATE },
      ],
    });
    expect(t.source).toBe(CHATML_TEMPLATE);
  });

  it("a template that rewrites earlier turns is refused for span finding, not guessed", () => {
    // drops every assistant turn but the last, like reasoning-stripping templates
    const t = new ChatTemplate(
      "{% for m in messages %}{% if m.role != 'assistant' or loop.last %}{{ m.role }}: {{ m.content }}\n{% endif %}{% endfor %}" +
        "{% if add_generation_prompt %}assistant: {% endif %}",
    );
    expect(codeOf(() => t.renderWithSpans(chat))).toBe("DATA_INVALID");
  });

  it("typed errors: no template, bad Jinja, raise_exception, empty", () => {
    expect(codeOf(() => ChatTemplate.fromTokenizerConfig({ eos_token: "</s>" }))).toBe("TOKENIZER_INVALID");
    expect(codeOf(() => ChatTemplate.fromTokenizerConfig(null))).toBe("TOKENIZER_INVALID");
    expect(codeOf(() => new ChatTemplate("{% for m in messages %}"))).toBe("TOKENIZER_INVALID");
    expect(codeOf(() => new ChatTemplate(""))).toBe("TOKENIZER_INVALID");
    const strict = new ChatTemplate(
      "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}x",
    );
    expect(codeOf(() => strict.render([{ role: "assistant", content: "a" }]))).toBe("DATA_INVALID");
  });

  it("message content is data, never template code", () => {
    const t = new ChatTemplate(CHATML_TEMPLATE);
    const out = t.render([{ role: "user", content: "{{ 7 * 7 }}{% for x in range(9) %}" }]);
    expect(out).toContain("{{ 7 * 7 }}{% for x in range(9) %}");
  });
});
