// The byte-level BPE layout of GPT-2 / Qwen2 / SmolLM `tokenizer.json` files, shared by the BPE
// trainer and the test tokenizer (internal: not exported from an entry point).

/** GPT-2's table from a byte to the printable character that stands for it. */
export function byteLevelAlphabet(): string[] {
  const symbols = new Array<string>(256);
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    symbols[b] = printable(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + shifted++);
  }
  return symbols;
}

/**
 * A Hugging Face `tokenizer.json` of a byte-level BPE: `vocab` (bytes, merged symbols and the
 * special tokens, by id), its merges in order (`"a b"` or `["a", "b"]`), and the special tokens,
 * which become added tokens that are never split.
 */
export function byteLevelBpeJson(
  vocab: Readonly<Record<string, number>>,
  merges: readonly (string | readonly [string, string])[],
  specials: readonly { readonly content: string; readonly id: number }[],
): Record<string, unknown> {
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map(({ content, id }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
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
      ignore_merges: false,
      vocab: { ...vocab },
      merges: [...merges],
    },
  };
}
