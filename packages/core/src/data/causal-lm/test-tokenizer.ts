import type { Tokenizer } from "../tokenizer.js";
import { tokenizerFromJson } from "../tokenizer.js";
import { byteLevelAlphabet, byteLevelBpeJson } from "../byte-level-bpe-json.js";

// Test fixtures (exported from `@tunekit/core/testing`): a tiny byte-level BPE tokenizer in the layout
// of GPT-2 / Qwen2 / SmolLM tokenizer.json files (the 256 byte symbols, a few merges, ChatML
// special tokens as added tokens) and a ChatML chat template.

/**
 * ChatML (Qwen2 / SmolLM2 style), with the generation prompt: a chat template for tests.
 *
 * @example
 * ```ts
 * const template = new ChatTemplate(CHATML_TEMPLATE, {});
 * ```
 */
export const CHATML_TEMPLATE =
  "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/**
 * The `tokenizer.json` of a tiny byte-level BPE tokenizer: ids 0..255 are the bytes, then three
 * merges, then `<|endoftext|>` (259), `<|im_start|>` (260), `<|im_end|>` (261). For tests.
 *
 * @example
 * ```ts
 * await writeFile(join(dir, "tokenizer.json"), JSON.stringify(byteLevelTokenizerJson()));
 * ```
 */
export function byteLevelTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteLevelAlphabet().forEach((s, b) => {
    vocab[s] = b;
  });
  const merges: [string, string][] = [
    ["Ġ", "t"],
    ["h", "e"],
    ["Ġt", "he"],
  ];
  let next = 256;
  for (const [a, b] of merges) vocab[a + b] = next++;
  const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"].map((content) => ({
    content,
    id: next++,
  }));
  return byteLevelBpeJson(vocab, merges, specials);
}

/**
 * {@link byteLevelTokenizerJson} loaded, with `<|endoftext|>` as padding and `<|im_end|>` as EOS.
 *
 * @example
 * ```ts
 * const tok = byteLevelTokenizer();
 * ```
 */
export function byteLevelTokenizer(): Tokenizer {
  return tokenizerFromJson(byteLevelTokenizerJson(), { pad_token: "<|endoftext|>", eos_token: "<|im_end|>" });
}
