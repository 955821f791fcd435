import type { Tokenizer } from "../tokenizer.js";
import { tokenizerFromJson } from "../tokenizer.js";

// Test fixtures (not exported from the package): a tiny byte-level BPE tokenizer in the layout
// of GPT-2 / Qwen2 / SmolLM tokenizer.json files (the 256 byte symbols, a few merges, ChatML
// special tokens as added tokens) and a ChatML chat template.

/** ChatML (Qwen2 / SmolLM2 style), with the generation prompt. */
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

/** Ids: bytes 0..255, then merges, then `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`. */
export function byteLevelTokenizer(): Tokenizer {
  const symbols = byteSymbols();
  const vocab: Record<string, number> = {};
  symbols.forEach((s, b) => {
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
  return tokenizerFromJson(
    {
      version: "1.0",
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: null,
      decoder: byteLevel,
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges,
      },
    },
    { pad_token: "<|endoftext|>", eos_token: "<|im_end|>" },
  );
}
