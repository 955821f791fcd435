import type { Tokenizer } from "../tokenizer.js";
import { tokenizerFromJson } from "../tokenizer.js";

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

/** GPT-2's byte → printable-character table. */
function byteSymbols(): string[] {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const symbols = new Array<string>(256);
  for (const b of bs) symbols[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (symbols[b] === undefined) symbols[b] = String.fromCodePoint(256 + n++);
  return symbols;
}

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
  byteSymbols().forEach((s, b) => {
    vocab[s] = b;
  });
  const merges: [string, string][] = [
    ["Ġ", "t"],
    ["h", "e"],
    ["Ġt", "he"],
  ];
  let next = 256;
  for (const [a, b] of merges) vocab[a + b] = next++;
  const added = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"].map((content) => ({
    id: next++,
    content,
    special: true,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
  }));
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
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
