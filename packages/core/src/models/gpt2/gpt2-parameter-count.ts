import { TunekitError } from "../../errors.js";
import { MAX_LLAMA_PARAMETERS } from "../llama/llama-parameter-count.js";
import type { Gpt2Config } from "./gpt2-config.js";

/**
 * The number of parameters of a `GPT2LMHeadModel` built from `config`, from the sizes alone
 * (no allocation); a tied head adds nothing.
 *
 * @example
 * ```ts
 * gpt2ParameterCount(parseGpt2Config(json)); // 124,439,808 for gpt2
 * ```
 */
export function gpt2ParameterCount(config: Gpt2Config): number {
  const h = config.hiddenSize;
  const i = config.intermediateSize;
  const attention = h * 3 * h + 3 * h + h * h + h;
  const mlp = h * i + i + i * h + h;
  const layer = attention + mlp + 4 * h;
  const embeddings = (config.vocabSize + config.maxPositionEmbeddings) * h;
  const head = config.tieWordEmbeddings ? 0 : config.vocabSize * h;
  return embeddings + config.numHiddenLayers * layer + 2 * h + head;
}

/**
 * Throws `CONFIG_INVALID` when a GPT-2 of `config` would have more than the 2e9 parameters
 * tunekit builds (`MAX_LLAMA_PARAMETERS`, the decoder limit).
 *
 * @example
 * ```ts
 * checkGpt2Size(config); // before new Gpt2LMHeadModel(config)
 * ```
 */
export function checkGpt2Size(config: Gpt2Config): void {
  const total = gpt2ParameterCount(config);
  if (total > MAX_LLAMA_PARAMETERS) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `config describes a gpt2 model of ${total.toExponential(3)} parameters (vocab_size ${config.vocabSize}, ` +
        `n_embd ${config.hiddenSize}, n_layer ${config.numHiddenLayers}, n_positions ${config.maxPositionEmbeddings}), ` +
        `more than the ${MAX_LLAMA_PARAMETERS.toExponential(0)} tunekit builds; check config.json`,
    );
  }
}
