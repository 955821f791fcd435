import { TunekitError } from "../../errors.js";
import type { LlamaConfig } from "./llama-config.js";

/**
 * Largest Llama-family model tunekit builds: 2e9 parameters (8 GB of float32). A hostile or
 * mistyped `config.json` is rejected with `CONFIG_INVALID` before anything is allocated.
 *
 * @example
 * ```ts
 * llamaParameterCount(config) <= MAX_LLAMA_PARAMETERS;
 * ```
 */
export const MAX_LLAMA_PARAMETERS = 2_000_000_000;

/**
 * The number of parameters of a `*ForCausalLM` built from `config`, from the sizes alone (no
 * allocation); a tied head adds nothing.
 *
 * @example
 * ```ts
 * llamaParameterCount(parseLlamaConfig(json)); // 134,515,008 for SmolLM2-135M
 * ```
 */
export function llamaParameterCount(config: LlamaConfig): number {
  const h = config.hiddenSize;
  const i = config.intermediateSize;
  const q = config.numAttentionHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  const attention =
    h * q + 2 * h * kv + q * h + (config.qkvBias ? q + 2 * kv : 0) + (config.outputBias ? h : 0);
  const mlp = 3 * h * i + (config.mlpBias ? 2 * i + h : 0);
  const layer = attention + mlp + 2 * h;
  const embeddings = config.vocabSize * h;
  const head = config.tieWordEmbeddings ? 0 : config.vocabSize * h;
  return embeddings + config.numHiddenLayers * layer + h + head;
}

/**
 * Throws `CONFIG_INVALID` when a model of `config` would have more than
 * {@link MAX_LLAMA_PARAMETERS} parameters.
 *
 * @example
 * ```ts
 * checkLlamaSize(config); // before new LlamaForCausalLM(config)
 * ```
 */
export function checkLlamaSize(config: LlamaConfig): void {
  const total = llamaParameterCount(config);
  if (total > MAX_LLAMA_PARAMETERS) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `config describes a ${config.modelType} model of ${total.toExponential(3)} parameters (vocab_size ${config.vocabSize}, ` +
        `hidden_size ${config.hiddenSize}, num_hidden_layers ${config.numHiddenLayers}, intermediate_size ` +
        `${config.intermediateSize}), more than the ${MAX_LLAMA_PARAMETERS.toExponential(0)} tunekit builds; ` +
        "check config.json (is it the config of this model?)",
    );
  }
}
