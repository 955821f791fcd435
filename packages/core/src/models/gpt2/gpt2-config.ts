import { configFields } from "../../io/config-fields.js";
import { describeValue, isJsonObject } from "../../io/json-checks.js";
import {
  configJsonWithExtra,
  extraConfigKeys,
  readModelConfigJson,
  tokenIdReader,
} from "../causal-lm/decoder-config.js";

/**
 * A validated Hugging Face `config.json` of a GPT-2 causal LM (`GPT2LMHeadModel`), camelCase
 * with Hugging Face's meanings. Keys tunekit does not interpret are kept in `extra`.
 *
 * @example
 * ```ts
 * const cfg: Gpt2Config = parseGpt2Config(JSON.parse(text));
 * cfg.hiddenSize / cfg.numAttentionHeads; // head size
 * ```
 */
export interface Gpt2Config {
  readonly modelType: "gpt2";
  readonly vocabSize: number;
  /** `n_embd`. */
  readonly hiddenSize: number;
  /** `n_inner`, default `4 · n_embd`. */
  readonly intermediateSize: number;
  /** `n_layer`. */
  readonly numHiddenLayers: number;
  /** `n_head` (divides `n_embd`). */
  readonly numAttentionHeads: number;
  readonly headDim: number;
  /** `n_positions`: the learned position table's length, the longest sequence. */
  readonly maxPositionEmbeddings: number;
  readonly layerNormEps: number;
  /** `activation_function`: `gelu_new` (and its aliases) is GELU's tanh form, `gelu` the erf form. */
  readonly activation: "tanh" | "none";
  readonly residDropout: number;
  readonly embdDropout: number;
  readonly attnDropout: number;
  readonly tieWordEmbeddings: boolean;
  readonly initializerRange: number;
  readonly padTokenId?: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number | readonly number[];
  /** Other keys of the JSON file, passed through unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

const LIMITS = {
  vocab_size: 10_000_000,
  n_embd: 65_536,
  n_inner: 1_048_576,
  n_layer: 1024,
  n_head: 65_536,
  n_positions: 1_048_576,
} as const;

const KNOWN_KEYS = new Set([
  "model_type",
  "architectures",
  "vocab_size",
  "n_embd",
  "n_inner",
  "n_layer",
  "n_head",
  "n_positions",
  "layer_norm_epsilon",
  "activation_function",
  "resid_pdrop",
  "embd_pdrop",
  "attn_pdrop",
  "tie_word_embeddings",
  "initializer_range",
  "scale_attn_weights",
  "scale_attn_by_inverse_layer_idx",
  "reorder_and_upcast_attn",
  "add_cross_attention",
  "pad_token_id",
  "bos_token_id",
  "eos_token_id",
]);

const ACTIVATIONS: Readonly<Record<string, "tanh" | "none">> = {
  gelu_new: "tanh",
  gelu_pytorch_tanh: "tanh",
  gelu_fast: "tanh",
  gelu: "none",
};

/**
 * Whether a parsed `config.json` describes a GPT-2 causal LM: `model_type` `gpt2`, or (without
 * `model_type`) `architectures` naming `GPT2LMHeadModel`.
 *
 * @example
 * ```ts
 * isGpt2ConfigJson({ model_type: "gpt2" }); // true
 * isGpt2ConfigJson({ model_type: "llama" }); // false
 * ```
 */
export function isGpt2ConfigJson(json: unknown): boolean {
  if (!isJsonObject(json)) return false;
  if (typeof json.model_type === "string") return json.model_type === "gpt2";
  return (
    json.model_type === undefined &&
    Array.isArray(json.architectures) &&
    json.architectures.includes("GPT2LMHeadModel")
  );
}

/**
 * Validates a parsed Hugging Face GPT-2 `config.json` into a typed {@link Gpt2Config}. Sizes
 * are required except `n_inner` (default `4 · n_embd`) and `n_positions` (1024); defaults as in
 * transformers (`layer_norm_epsilon` 1e-5, dropouts 0.1, `gelu_new`, tied embeddings).
 * Features tunekit does not build (cross-attention, unscaled or layer-scaled attention, other
 * activations) are refused. Every error is `CONFIG_INVALID` naming the key, the value and what
 * is allowed.
 *
 * @example
 * ```ts
 * const cfg = parseGpt2Config({ model_type: "gpt2", vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12 });
 * cfg.intermediateSize; // 3072
 * ```
 */
export function parseGpt2Config(json: unknown, source = "config.json"): Gpt2Config {
  const { cfg, fail, int, real, bool } = configFields(json, source, LIMITS, { nullIsAbsent: true });
  if (!isGpt2ConfigJson(cfg)) {
    throw fail(
      "model_type",
      `model_type must be "gpt2" (or architectures must name GPT2LMHeadModel), got model_type ${describeValue(cfg.model_type)}`,
    );
  }
  const vocabSize = int("vocab_size", 1);
  const hiddenSize = int("n_embd", 1);
  const numHiddenLayers = int("n_layer", 1);
  const numAttentionHeads = int("n_head", 1);
  if (hiddenSize % numAttentionHeads !== 0) {
    throw fail("n_head", `n_head (${numAttentionHeads}) must divide n_embd (${hiddenSize})`);
  }
  const intermediateSize = int("n_inner", 1, 4 * hiddenSize);
  const act = cfg.activation_function ?? "gelu_new";
  const activation = typeof act === "string" ? ACTIVATIONS[act] : undefined;
  if (activation === undefined || !Object.hasOwn(ACTIVATIONS, act as string)) {
    throw fail(
      "activation_function",
      `activation_function must be one of ${Object.keys(ACTIVATIONS).join(", ")}, got ${describeValue(act)}`,
    );
  }
  if (!bool("scale_attn_weights", true)) {
    throw fail(
      "scale_attn_weights",
      "scale_attn_weights false (unscaled attention) is not supported; set it to true",
    );
  }
  if (bool("scale_attn_by_inverse_layer_idx", false)) {
    throw fail(
      "scale_attn_by_inverse_layer_idx",
      "scale_attn_by_inverse_layer_idx true is not supported; set it to false",
    );
  }
  if (bool("add_cross_attention", false)) {
    throw fail("add_cross_attention", "add_cross_attention true (an encoder-decoder GPT-2) is not supported");
  }
  bool("reorder_and_upcast_attn", false); // float32 throughout: upcasting changes nothing
  const rate = (key: string): number => real(key, 0.1, (x) => x >= 0 && x < 1, "a dropout rate in [0, 1)");
  const tokenId = tokenIdReader(cfg, vocabSize, fail);
  const padTokenId = tokenId("pad_token_id");
  const bosTokenId = tokenId("bos_token_id");
  const eosTokenId = tokenId("eos_token_id");
  const extra = extraConfigKeys(cfg, KNOWN_KEYS);
  return {
    modelType: "gpt2",
    vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    headDim: hiddenSize / numAttentionHeads,
    maxPositionEmbeddings: int("n_positions", 1, 1024),
    layerNormEps: real("layer_norm_epsilon", 1e-5, (x) => x > 0 && x < 1, "a number in (0, 1)"),
    activation,
    residDropout: rate("resid_pdrop"),
    embdDropout: rate("embd_pdrop"),
    attnDropout: rate("attn_pdrop"),
    tieWordEmbeddings: bool("tie_word_embeddings", true),
    initializerRange: real("initializer_range", 0.02, (x) => x >= 0 && x <= 10, "a number in [0, 10]"),
    ...(padTokenId === undefined ? {} : { padTokenId }),
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    ...(eosTokenId === undefined ? {} : { eosTokenId }),
    extra,
  };
}

/**
 * Converts a {@link Gpt2Config} back to Hugging Face `config.json` keys (extra keys first);
 * `parseGpt2Config(gpt2ConfigToJson(cfg))` equals `cfg`.
 *
 * @example
 * ```ts
 * await writeFile("out/config.json", JSON.stringify(gpt2ConfigToJson(cfg), null, 2));
 * ```
 */
export function gpt2ConfigToJson(cfg: Gpt2Config): Record<string, unknown> {
  return configJsonWithExtra(cfg.extra, {
    model_type: "gpt2",
    architectures: ["GPT2LMHeadModel"],
    vocab_size: cfg.vocabSize,
    n_embd: cfg.hiddenSize,
    n_inner: cfg.intermediateSize,
    n_layer: cfg.numHiddenLayers,
    n_head: cfg.numAttentionHeads,
    n_positions: cfg.maxPositionEmbeddings,
    layer_norm_epsilon: cfg.layerNormEps,
    activation_function: cfg.activation === "tanh" ? "gelu_new" : "gelu",
    resid_pdrop: cfg.residDropout,
    embd_pdrop: cfg.embdDropout,
    attn_pdrop: cfg.attnDropout,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    initializer_range: cfg.initializerRange,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    pad_token_id: cfg.padTokenId ?? null,
    bos_token_id: cfg.bosTokenId ?? null,
    eos_token_id: cfg.eosTokenId ?? null,
  });
}

/**
 * Reads and validates `<folder>/config.json` with {@link parseGpt2Config}. A missing file is
 * `IO_ERROR`; invalid JSON or values are `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const cfg = await readGpt2Config("models/gpt2");
 * ```
 */
export async function readGpt2Config(folder: string): Promise<Gpt2Config> {
  const { json, path } = await readModelConfigJson(folder);
  return parseGpt2Config(json, path);
}
