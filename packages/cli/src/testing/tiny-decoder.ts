import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Gpt2LMHeadModel,
  LlamaForCausalLM,
  parseGpt2Config,
  parseLlamaConfig,
  saveGpt2Checkpoint,
  saveLlamaCheckpoint,
} from "@tunekit/core/models";
import { byteLevelTokenizerJson, CHATML_TEMPLATE } from "@tunekit/core/testing";

// Test fixture (not shipped): a tiny Llama folder with a byte-level BPE tokenizer in the layout
// of GPT-2 / Qwen2 / SmolLM tokenizer.json files (the 256 byte symbols, a few merges, ChatML
// special tokens as added tokens) and a ChatML chat template in tokenizer_config.json.

/** ChatML (Qwen2 / SmolLM2 style), with the generation prompt (core's test template). */
export { CHATML_TEMPLATE };

/** Ids of the special tokens: 259 `<|endoftext|>` (padding), 260 `<|im_start|>`, 261 `<|im_end|>` (EOS). */
export const TINY_DECODER_IDS = { pad: 259, imStart: 260, imEnd: 261, vocabSize: 262 } as const;

/**
 * Writes a tiny randomly initialised Llama (1 layer, hidden 16, GQA 2:1, vocabulary 262) with
 * its byte-level tokenizer and ChatML template to `folder`, as a Hugging Face folder.
 *
 * @example
 * ```ts
 * await writeTinyDecoder(join(dir, "base"));
 * ```
 */
export async function writeTinyDecoder(folder: string): Promise<void> {
  const config = parseLlamaConfig({
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    vocab_size: TINY_DECODER_IDS.vocabSize,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    hidden_act: "silu",
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    pad_token_id: TINY_DECODER_IDS.pad,
    eos_token_id: TINY_DECODER_IDS.imEnd,
  });
  await saveLlamaCheckpoint(new LlamaForCausalLM(config, { seed: 7 }), folder);
  await mkdir(folder, { recursive: true });
  await writeChatTokenizer(folder, 128);
}

/**
 * Writes a tiny randomly initialised GPT-2 (2 layers, hidden 16, 32 positions, vocabulary 262,
 * tied head) with the same byte-level tokenizer and ChatML template to `folder`.
 *
 * @example
 * ```ts
 * await writeTinyGpt2(join(dir, "gpt2"));
 * ```
 */
export async function writeTinyGpt2(folder: string): Promise<void> {
  const config = parseGpt2Config({
    model_type: "gpt2",
    vocab_size: TINY_DECODER_IDS.vocabSize,
    n_embd: 16,
    n_layer: 2,
    n_head: 2,
    n_positions: 64,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    pad_token_id: TINY_DECODER_IDS.pad,
    eos_token_id: TINY_DECODER_IDS.imEnd,
  });
  await saveGpt2Checkpoint(new Gpt2LMHeadModel(config, { seed: 7 }), folder);
  await writeChatTokenizer(folder, 64);
}

/**
 * One chat-format JSONL row: a user question and the assistant's answer.
 *
 * @example
 * ```ts
 * chatRow("ab", "yes"); // {"messages":[{"role":"user","content":"ab"},{"role":"assistant","content":"yes"}]}
 * ```
 */
export function chatRow(question: string, answer: string): string {
  return JSON.stringify({
    messages: [
      { role: "user", content: question },
      { role: "assistant", content: answer },
    ],
  });
}

/** The byte-level tokenizer with the ChatML template, for sequences of up to `maxLength` tokens. */
async function writeChatTokenizer(folder: string, maxLength: number): Promise<void> {
  await writeFile(join(folder, "tokenizer.json"), JSON.stringify(byteLevelTokenizerJson()));
  await writeFile(
    join(folder, "tokenizer_config.json"),
    JSON.stringify({
      chat_template: CHATML_TEMPLATE,
      eos_token: "<|im_end|>",
      pad_token: "<|endoftext|>",
      model_max_length: maxLength,
    }),
  );
}
