// Trains the byte-level BPE tokenizer of examples/models/llama-4l-h256 on the pre-training
// corpus (scripts/pretraining-corpus.ts: the same texts and exclusions as bert-4l-h128) with
// core's trainByteLevelBpe, and writes a Hugging Face tokenizer.json + tokenizer_config.json
// (ChatML chat template; <|endoftext|> separates documents, <|im_end|> ends a chat turn).
//
//   npx tsx --conditions=@tunekit/source scripts/train-bpe-tokenizer.ts --out runs/bpe-8k \
//     [--vocab 8192] [--max-length 256]
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ChatTemplate, tokenizerFromJson, trainByteLevelBpe } from "@tunekit/core/data";
import { readPretrainingCorpus } from "./pretraining-corpus.js";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    out: { type: "string" },
    vocab: { type: "string", default: "8192" },
    "max-length": { type: "string", default: "256" },
  },
});
if (values.out === undefined) throw new Error("--out FOLDER is required");
const OUT = resolve(values.out);

/** Ids 0…3, in this order. */
export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"] as const;
const CHATML =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

const { docs, perSet, dropped } = await readPretrainingCorpus(ROOT);
const texts = docs.flatMap((d) => (d.pair === undefined ? [d.text] : [d.text, d.pair]));
console.log(
  `corpus: ${docs.length} documents, ${texts.length} texts (${perSet.join(", ")}); ${dropped} dropped`,
);
const t0 = Date.now();
const trained = trainByteLevelBpe(texts, { vocabSize: Number(values.vocab), specialTokens: SPECIAL_TOKENS });
const seconds = (Date.now() - t0) / 1000;
console.log(
  `trained ${trained.merges.length} merges on ${trained.words.total} words (${trained.words.distinct} distinct) in ${seconds.toFixed(1)} s`,
);
const added = Object.fromEntries(
  SPECIAL_TOKENS.map((content, id) => [
    String(id),
    { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
  ]),
);
const config = {
  tokenizer_class: "PreTrainedTokenizerFast",
  added_tokens_decoder: added,
  bos_token: "<|endoftext|>",
  eos_token: "<|im_end|>",
  pad_token: "<pad>",
  unk_token: null,
  add_bos_token: false,
  add_eos_token: false,
  add_prefix_space: false,
  clean_up_tokenization_spaces: false,
  model_max_length: Number(values["max-length"]),
  chat_template: CHATML,
};

// Checks before writing: the loader reads it, text round-trips, the chat template renders.
const tok = tokenizerFromJson(trained.tokenizerJson, config);
let pieces = 0;
let chars = 0;
for (const t of texts.slice(0, 5000)) {
  const ids = tok.tokenize(t);
  if (tok.decode(ids) !== t) throw new Error(`round trip failed on ${JSON.stringify(t)}`);
  pieces += ids.length;
  chars += t.length;
}
const chat = ChatTemplate.fromTokenizerConfig(config).render([{ role: "user", content: "Hi" }], {
  addGenerationPrompt: true,
});
console.log(
  `round trip ok on 5,000 texts: ${(chars / pieces).toFixed(2)} characters per token; chat prompt ids ${JSON.stringify(tok.tokenize(chat))}`,
);
await mkdir(OUT, { recursive: true });
await writeFile(join(OUT, "tokenizer.json"), `${JSON.stringify(trained.tokenizerJson)}\n`);
await writeFile(join(OUT, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
await writeFile(
  join(OUT, "special_tokens_map.json"),
  `${JSON.stringify({ bos_token: "<|endoftext|>", eos_token: "<|im_end|>", pad_token: "<pad>" }, null, 2)}\n`,
);
console.log(`wrote ${OUT}`);
