import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  isTunekitError,
  type CausalLm,
  loadCausalLmJsonl,
  loadCausalLmCheckpoint,
  type Tokenizer,
  type TrainerData,
  TunekitError,
  tokenizeCausalLm,
} from "@tunekit/core";
import { Gpt2LMHeadModel } from "@tunekit/core/models";
import {
  assertIdsInVocabulary,
  type CausalLmData,
  type CausalLmExample,
  ChatTemplate,
  packCausalLm,
} from "@tunekit/core/data";
import type { CausalLmDataSpec } from "../config/causal-lm-config.js";
import type { TrainConfig } from "../config/train-config.js";

/**
 * A decoder run's data and base model: the Llama-family or GPT-2 model of `model.path`, the train rows
 * (and evaluation rows when the data has that split) with causal-LM labels, and lines that
 * describe them.
 *
 * @example
 * ```ts
 * const run = await prepareCausalLmRun(config, await loadTokenizer(config.tokenizer));
 * ```
 */
export interface CausalLmRun {
  readonly model: CausalLm;
  readonly train: TrainerData;
  readonly evalData: TrainerData | undefined;
  readonly notice: string;
  readonly lines: readonly string[];
}

/** The chat template of a tokenizer folder's `tokenizer_config.json` (undefined: none there). */
async function readChatTemplate(
  folder: string,
): Promise<{ template?: ChatTemplate; addBos: boolean; source: string }> {
  const source = join(folder, "tokenizer_config.json");
  const text = await readFile(source, "utf8").catch(() => undefined);
  if (text === undefined) return { addBos: false, source };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TunekitError("CONFIG_INVALID", `${source} is not valid JSON: ${(e as Error).message}`);
  }
  const record = (json ?? {}) as Record<string, unknown>;
  const addBos = record.add_bos_token === true;
  if (record.chat_template === undefined) return { addBos, source };
  return { template: ChatTemplate.fromTokenizerConfig(json, source), addBos, source };
}

/** Which tokens of a row of `format` carry labels, in words. */
function lossOn(format: string, spec: CausalLmDataSpec): string {
  if (format === "chat") return spec.assistantOnly ? "the assistant turns" : "every token";
  if (format === "text") return "every token";
  return spec.completionOnly ? "the completions" : "every token";
}

async function readSplit(
  spec: CausalLmDataSpec,
  file: string,
  baseDir: string,
  limit: number | undefined,
): Promise<{ examples: readonly CausalLmExample[]; format: string }> {
  const loaded = await loadCausalLmJsonl(
    resolve(baseDir, file),
    spec.format === undefined ? {} : { format: spec.format },
  );
  return {
    examples: limit === undefined ? loaded.examples : loaded.examples.slice(0, limit),
    format: loaded.format,
  };
}

/**
 * Loads `model.path` (a Llama / Mistral / Qwen2 / GPT-2 folder) and the config's causal-LM JSONL
 * (`data.jsonl`), tokenised with the model's chat template (from `tokenizer_config.json`) and
 * labelled (-100 on prompts, and on everything but assistant turns with `assistantOnly`),
 * packed when `data.pack` is set. Throws `DATA_INVALID` when no training row is left, and when
 * a token id has no embedding row.
 *
 * @example
 * ```ts
 * const { model, train, evalData } = await prepareCausalLmRun(config, tokenizer);
 * ```
 */
export async function prepareCausalLmRun(config: TrainConfig, tokenizer: Tokenizer): Promise<CausalLmRun> {
  const spec = config.data.causalLm;
  if (spec === undefined || config.model.kind !== "pretrained") {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${config.source}: a causal-LM run needs model.path (a Llama-family or GPT-2 folder) and data.jsonl (causal-LM files)`,
    );
  }
  const { model } = await loadCausalLmCheckpoint(config.model.path);
  const llama = model instanceof Gpt2LMHeadModel ? model.gpt2Config : model.llamaConfig;
  const chat = await readChatTemplate(config.tokenizer);
  const maxLength = config.training.maxLength;
  const eos = llama.eosTokenId;
  const eosId = typeof eos === "number" ? eos : eos?.[0];
  const options = {
    maxLength,
    assistantOnly: spec.assistantOnly,
    completionOnly: spec.completionOnly,
    ...(chat.template === undefined ? {} : { chatTemplate: chat.template }),
    ...(eosId === undefined ? {} : { eosId }),
    ...(chat.addBos && llama.bosTokenId !== undefined ? { bosId: llama.bosTokenId } : {}),
  };
  const split = async (
    name: "train" | "validation" | "test",
  ): Promise<{ data: TrainerData; line: string } | undefined> => {
    const file = spec.splits[name];
    if (file === undefined) return undefined;
    const { examples, format } = await readSplit(spec, file, config.data.baseDir, config.data.maxRows[name]);
    if (format === "chat" && chat.template === undefined) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `data.jsonl.${name} (${file}) holds chat rows, but ${chat.source} has no chat_template; ` +
          "use a model folder whose tokenizer_config.json has one, or give the rows as text / prompt-completion",
      );
    }
    let tokenized: CausalLmData;
    try {
      tokenized = tokenizeCausalLm(examples, tokenizer, options);
    } catch (e) {
      if (!isTunekitError(e)) throw e;
      throw new TunekitError(
        e.code,
        `data.jsonl.${name} (${file}): ${e.message} (training.maxLength is ${maxLength})`,
        {
          cause: e,
        },
      );
    }
    assertIdsInVocabulary(tokenized.ids, llama.vocabSize, { tokenizer, what: `data.jsonl.${name}` });
    const data = spec.pack ? packCausalLm(tokenized, { maxLength }) : tokenized;
    const line =
      `${name} ${file}: ${examples.length} ${format} rows (loss on ${lossOn(format, spec)}), ${tokenized.numLossTokens} supervised tokens` +
      `${tokenized.numTruncated ? `, ${tokenized.numTruncated} truncated to ${maxLength} tokens` : ""}` +
      `${tokenized.dropped.length ? `, ${tokenized.dropped.length} dropped (no supervised token left)` : ""}` +
      `${spec.pack ? `, packed into ${data.lengths.length} rows` : ""}`;
    return { data, line };
  };
  const train = await split("train");
  if (train === undefined || train.data.lengths.length === 0) {
    throw new TunekitError(
      "DATA_INVALID",
      `data.jsonl.train (${spec.splits.train}) left no row to train on: every example lost its supervised tokens ` +
        `(raise training.maxLength above ${maxLength}, or check the rows' format)`,
    );
  }
  const evalPart = await split(config.data.evalSplit);
  return {
    model,
    train: train.data,
    evalData: evalPart === undefined || evalPart.data.lengths.length === 0 ? undefined : evalPart.data,
    notice: `loaded ${model.architecture} from ${config.model.path} (${llama.numHiddenLayers} layers, hidden ${llama.hiddenSize}, vocabulary ${llama.vocabSize})`,
    lines: [`causal-LM data: ${train.line}${evalPart ? `; ${evalPart.line}` : ""}`],
  };
}
