import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { TunekitError } from "../errors.js";
import { readJsonFileText } from "../io/read-json-file.js";
import { readTokenizerJsonFile } from "./tokenizer-file.js";
import { MAX_VOCAB_TXT_BYTES, tokenizerJsonFromVocab } from "./wordpiece-vocab.js";

/**
 * What a tokenizer is built from: the contents of a `tokenizer.json` (read, or derived from
 * `vocab.txt`), the tokenizer config, and the file they came from (for messages).
 *
 * @example
 * ```ts
 * const { tokenizerJson, config, source, kind }: TokenizerSources = await readTokenizerSources("bert");
 * ```
 */
export interface TokenizerSources {
  readonly tokenizerJson: unknown;
  readonly config: unknown;
  readonly source: string;
  /** `"tokenizer.json"`, or `"vocab.txt"` for a WordPiece vocabulary without tokenizer.json. */
  readonly kind: "tokenizer.json" | "vocab.txt";
}

/**
 * Reads what {@link loadTokenizer} needs from a tokenizer folder or file: `tokenizer.json`
 * (+ `tokenizer_config.json`) when the folder has one; else a WordPiece `vocab.txt` with
 * `tokenizer_config.json`, `special_tokens_map.json` and `added_tokens.json`, turned into the
 * equivalent `tokenizer.json` ({@link tokenizerJsonFromVocab}), as transformers'
 * `BertTokenizerFast` does for checkpoints that ship only a vocabulary. A path to a `.txt`
 * file is read as a vocabulary, any other file as a `tokenizer.json`.
 *
 * @example
 * ```ts
 * const { tokenizerJson, config, source } = await readTokenizerSources("models/bert-ner"); // vocab.txt only
 * const tok = tokenizerFromJson(tokenizerJson, config, source);
 * ```
 */
export async function readTokenizerSources(folderOrFile: string): Promise<TokenizerSources> {
  const kindOf = async (path: string) =>
    stat(path).then(
      (s) => (s.isDirectory() ? "directory" : "file"),
      () => undefined,
    );
  const kind = await kindOf(folderOrFile);
  if (kind === undefined) {
    throw new TunekitError(
      "IO_ERROR",
      `loadTokenizer: cannot read ${folderOrFile}; pass a folder with tokenizer.json (or a WordPiece vocab.txt) or the file itself`,
      { details: { path: folderOrFile } },
    );
  }
  const dir = kind === "directory" ? folderOrFile : dirname(folderOrFile);
  let vocabFile: string | undefined;
  if (kind === "file") {
    if (basename(folderOrFile).endsWith(".txt")) vocabFile = folderOrFile;
  } else if ((await kindOf(join(dir, "tokenizer.json"))) === undefined) {
    if ((await kindOf(join(dir, "vocab.txt"))) === undefined) {
      throw new TunekitError(
        "TOKENIZER_INVALID",
        `${folderOrFile} has neither tokenizer.json nor vocab.txt; pass a Hugging Face tokenizer folder ` +
          "(e.g. the model folder saved with save_pretrained)",
        { details: { path: folderOrFile } },
      );
    }
    vocabFile = join(dir, "vocab.txt");
  }
  const config = (await readTokenizerJsonFile(join(dir, "tokenizer_config.json"), false)) ?? {};
  if (vocabFile === undefined) {
    const file = kind === "directory" ? join(dir, "tokenizer.json") : folderOrFile;
    return {
      tokenizerJson: await readTokenizerJsonFile(file, true),
      config,
      source: file,
      kind: "tokenizer.json",
    };
  }
  const vocabText = await readJsonFileText(vocabFile, {
    what: "WordPiece vocabulary",
    maxBytes: MAX_VOCAB_TXT_BYTES,
    invalidCode: "TOKENIZER_INVALID",
    allowByteOrderMark: true,
  });
  const object = async (name: string): Promise<Record<string, unknown>> => {
    const path = join(dir, name);
    const v = await readTokenizerJsonFile(path, false);
    if (v === undefined) return {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new TunekitError("TOKENIZER_INVALID", `${path} must hold a JSON object`, {
        details: { file: path },
      });
    }
    return v as Record<string, unknown>;
  };
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TunekitError(
      "TOKENIZER_INVALID",
      `${join(dir, "tokenizer_config.json")} must hold a JSON object`,
    );
  }
  const built = tokenizerJsonFromVocab(
    (vocabText ?? "").replace(/^\uFEFF/, ""),
    config as Record<string, unknown>,
    await object("special_tokens_map.json"),
    await object("added_tokens.json"),
    vocabFile,
  );
  return { tokenizerJson: built.tokenizerJson, config: built.config, source: vocabFile, kind: "vocab.txt" };
}
