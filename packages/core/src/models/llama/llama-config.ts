import type { TunekitError } from "../../errors.js";
import { describeValue, isJsonObject } from "../../io/json-checks.js";
import { configFields } from "../../io/config-fields.js";
import {
  configJsonWithExtra,
  extraConfigKeys,
  readModelConfigJson,
  tokenIdReader,
} from "../causal-lm/decoder-config.js";

/**
 * The Hugging Face `model_type`s of the Llama family that tunekit builds, and the
 * `architectures` entry of each one's causal LM.
 *
 * @example
 * ```ts
 * LLAMA_MODEL_TYPES.qwen2; // "Qwen2ForCausalLM"
 * ```
 */
export const LLAMA_MODEL_TYPES = Object.freeze({
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
} as const);

/**
 * A supported `model_type` of the Llama family (see {@link LLAMA_MODEL_TYPES}).
 *
 * @example
 * ```ts
 * const t: LlamaModelType = "mistral";
 * ```
 */
export type LlamaModelType = keyof typeof LLAMA_MODEL_TYPES;

/**
 * A validated Hugging Face `config.json` of a Llama-family decoder (Llama, Mistral, Qwen2),
 * camelCase. Keys tunekit does not interpret (`torch_dtype`, `transformers_version`, ...)
 * are kept in `extra`.
 *
 * @example
 * ```ts
 * const cfg: LlamaConfig = parseLlamaConfig(JSON.parse(text));
 * cfg.numAttentionHeads / cfg.numKeyValueHeads; // query heads per key/value head
 * ```
 */
export interface LlamaConfig {
  readonly modelType: LlamaModelType;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  /** Key/value heads of grouped-query attention (divides `numAttentionHeads`). */
  readonly numKeyValueHeads: number;
  /** Size of one head (`head_dim`, default `hiddenSize / numAttentionHeads`); even. */
  readonly headDim: number;
  readonly maxPositionEmbeddings: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly tieWordEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2 always; Llama's `attention_bias`, which also biases `o_proj`). */
  readonly qkvBias: boolean;
  /** Bias on `o_proj` (Llama's `attention_bias`). */
  readonly outputBias: boolean;
  /** Biases on the MLP projections (Llama's `mlp_bias`). */
  readonly mlpBias: boolean;
  /** Mistral's sliding window: a token sees at most this many positions (itself included). */
  readonly slidingWindow?: number;
  readonly initializerRange: number;
  readonly padTokenId?: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number | readonly number[];
  /** Other keys of the JSON file, passed through unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Upper bounds that reject absurd (or hostile) sizes before anything is allocated. */
const LIMITS = {
  vocab_size: 10_000_000,
  hidden_size: 65_536,
  intermediate_size: 1_048_576,
  num_hidden_layers: 1024,
  num_attention_heads: 65_536,
  num_key_value_heads: 65_536,
  head_dim: 65_536,
  max_position_embeddings: 16_777_216,
  sliding_window: 16_777_216,
} as const;

const KNOWN_KEYS = new Set([
  "model_type",
  "architectures",
  "vocab_size",
  "hidden_size",
  "intermediate_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "hidden_act",
  "max_position_embeddings",
  "rms_norm_eps",
  "rope_theta",
  "rope_scaling",
  "tie_word_embeddings",
  "attention_bias",
  "mlp_bias",
  "attention_dropout",
  "sliding_window",
  "use_sliding_window",
  "initializer_range",
  "pad_token_id",
  "bos_token_id",
  "eos_token_id",
]);

/**
 * Whether a parsed `config.json` describes a Llama-family decoder: its `model_type` is one
 * of {@link LLAMA_MODEL_TYPES}, or (without `model_type`) its `architectures` name one of
 * their causal LMs. How the parity harness tells decoder fixtures from BERT ones.
 *
 * @example
 * ```ts
 * isLlamaConfigJson({ model_type: "qwen2" }); // true
 * isLlamaConfigJson({ model_type: "bert" }); // false
 * ```
 */
export function isLlamaConfigJson(json: unknown): boolean {
  return isJsonObject(json) && modelTypeOf(json) !== undefined;
}

function modelTypeOf(cfg: Record<string, unknown>): LlamaModelType | undefined {
  const t = cfg.model_type;
  if (typeof t === "string") return Object.hasOwn(LLAMA_MODEL_TYPES, t) ? (t as LlamaModelType) : undefined;
  if (t !== undefined || !Array.isArray(cfg.architectures)) return undefined;
  const entries = Object.entries(LLAMA_MODEL_TYPES) as [LlamaModelType, string][];
  return entries.find(([, arch]) => (cfg.architectures as unknown[]).includes(arch))?.[0];
}

/**
 * Validates a parsed Hugging Face `config.json` of a Llama, Mistral or Qwen2 causal LM
 * into a typed {@link LlamaConfig}. The size keys are required; the others default as in
 * transformers (`num_key_value_heads` = heads, `rms_norm_eps` 1e-6, `rope_theta` 10000,
 * `tie_word_embeddings` false). Sizes are checked (ranges, head divisibility, an even head
 * size for rotary embeddings) before anything is allocated; unsupported features
 * (`rope_scaling`, `hidden_act` other than silu, attention dropout, Qwen2's sliding window)
 * are refused. Every error is `TunekitError("CONFIG_INVALID")` naming the key, the value
 * received and what is allowed.
 *
 * @example
 * ```ts
 * const cfg = parseLlamaConfig({ model_type: "llama", vocab_size: 96, hidden_size: 32,
 *   intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
 * cfg.headDim; // 8
 * ```
 */
export function parseLlamaConfig(json: unknown, source = "config.json"): LlamaConfig {
  const { cfg, fail, int, real, bool } = configFields(json, source, LIMITS, { nullIsAbsent: true });
  const modelType = modelTypeOf(cfg);
  if (modelType === undefined) {
    throw fail(
      "model_type",
      `model_type must be one of ${Object.keys(LLAMA_MODEL_TYPES).join(", ")} (or architectures must name ` +
        `${Object.values(LLAMA_MODEL_TYPES).join(", ")}), got model_type ${describeValue(cfg.model_type)}`,
    );
  }

  const vocabSize = int("vocab_size", 1);
  const hiddenSize = int("hidden_size", 1);
  const intermediateSize = int("intermediate_size", 1);
  const numHiddenLayers = int("num_hidden_layers", 1);
  const numAttentionHeads = int("num_attention_heads", 1);
  const numKeyValueHeads = int("num_key_value_heads", 1, numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw fail(
      "num_key_value_heads",
      `num_key_value_heads (${numKeyValueHeads}) must divide num_attention_heads (${numAttentionHeads}) ` +
        "(each key/value head serves the same number of query heads)",
    );
  }
  if (cfg.head_dim === undefined || cfg.head_dim === null) {
    if (hiddenSize % numAttentionHeads !== 0) {
      throw fail(
        "num_attention_heads",
        `num_attention_heads (${numAttentionHeads}) must divide hidden_size (${hiddenSize}), or set head_dim`,
      );
    }
  }
  const headDim = int("head_dim", 2, hiddenSize / numAttentionHeads);
  if (headDim % 2 !== 0) {
    throw fail("head_dim", `the head size (${headDim}) must be even for rotary embeddings (rotate-half)`);
  }
  const hiddenAct = cfg.hidden_act ?? "silu";
  if (hiddenAct !== "silu" && hiddenAct !== "swish") {
    throw fail("hidden_act", `hidden_act must be "silu" (SwiGLU), got ${describeValue(hiddenAct)}`);
  }
  if (cfg.rope_scaling !== undefined && cfg.rope_scaling !== null) {
    throw fail(
      "rope_scaling",
      `rope_scaling is not supported (only plain rotary embeddings with rope_theta), got ${describeValue(cfg.rope_scaling)}; ` +
        "remove it or set it to null",
    );
  }
  real("attention_dropout", 0, (x) => x === 0, "0 (attention dropout is not supported)");
  let slidingWindow: number | undefined;
  if (modelType === "qwen2") {
    if (bool("use_sliding_window", false)) {
      throw fail("use_sliding_window", "use_sliding_window true is not supported for qwen2; set it to false");
    }
  } else if (modelType === "mistral") {
    slidingWindow = cfg.sliding_window === null ? undefined : int("sliding_window", 1, 4096);
  }
  const attentionBias = modelType === "llama" && bool("attention_bias", false);
  const mlpBias = modelType === "llama" && bool("mlp_bias", false);
  const tokenId = tokenIdReader(cfg, vocabSize, fail);
  const padTokenId = tokenId("pad_token_id");
  const bosTokenId = tokenId("bos_token_id");
  const eosTokenId = Array.isArray(cfg.eos_token_id)
    ? cfg.eos_token_id.map((_, i) => tokenIdAt(cfg.eos_token_id as unknown[], i, vocabSize, fail))
    : tokenId("eos_token_id");
  const extra = extraConfigKeys(cfg, KNOWN_KEYS);
  return {
    modelType,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    maxPositionEmbeddings: int("max_position_embeddings", 1, 2048),
    rmsNormEps: real("rms_norm_eps", 1e-6, (x) => x > 0 && x < 1, "a number in (0, 1)"),
    ropeTheta: real("rope_theta", 10000, (x) => x > 1, "a number above 1"),
    tieWordEmbeddings: bool("tie_word_embeddings", false),
    qkvBias: modelType === "qwen2" || attentionBias,
    outputBias: attentionBias,
    mlpBias,
    ...(slidingWindow === undefined ? {} : { slidingWindow }),
    initializerRange: real("initializer_range", 0.02, (x) => x >= 0 && x <= 10, "a number in [0, 10]"),
    ...(padTokenId === undefined ? {} : { padTokenId }),
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    ...(eosTokenId === undefined ? {} : { eosTokenId }),
    extra,
  };
}

function tokenIdAt(
  list: unknown[],
  i: number,
  vocabSize: number,
  fail: (key: string, msg: string) => TunekitError,
): number {
  const v = list[i];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= vocabSize || list.length > 1024) {
    throw fail(
      "eos_token_id",
      `eos_token_id[${i}] must be an integer in [0, ${vocabSize - 1}] (at most 1024 ids), got ${describeValue(v)}`,
    );
  }
  return v;
}

/**
 * Converts a {@link LlamaConfig} back to Hugging Face `config.json` keys (extra keys first);
 * `parseLlamaConfig(llamaConfigToJson(cfg))` equals `cfg`.
 *
 * @example
 * ```ts
 * await writeFile("out/config.json", JSON.stringify(llamaConfigToJson(cfg), null, 2));
 * ```
 */
export function llamaConfigToJson(cfg: LlamaConfig): Record<string, unknown> {
  const out = configJsonWithExtra(cfg.extra, {
    model_type: cfg.modelType,
    architectures: [LLAMA_MODEL_TYPES[cfg.modelType]],
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numHiddenLayers,
    num_attention_heads: cfg.numAttentionHeads,
    num_key_value_heads: cfg.numKeyValueHeads,
    head_dim: cfg.headDim,
    hidden_act: "silu",
    max_position_embeddings: cfg.maxPositionEmbeddings,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeTheta,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    attention_dropout: 0,
    initializer_range: cfg.initializerRange,
    pad_token_id: cfg.padTokenId ?? null,
    bos_token_id: cfg.bosTokenId ?? null,
    eos_token_id: cfg.eosTokenId ?? null,
  });
  if (cfg.modelType === "llama")
    Object.assign(out, { attention_bias: cfg.outputBias, mlp_bias: cfg.mlpBias });
  if (cfg.modelType === "mistral") out.sliding_window = cfg.slidingWindow ?? null;
  if (cfg.modelType === "qwen2") out.use_sliding_window = false;
  return out;
}

/**
 * Reads and validates `<folder>/config.json` with {@link parseLlamaConfig}. A missing file is
 * `IO_ERROR`; invalid JSON or values are `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const cfg = await readLlamaConfig("models/smollm2-135m");
 * ```
 */
export async function readLlamaConfig(folder: string): Promise<LlamaConfig> {
  const { json, path } = await readModelConfigJson(folder);
  return parseLlamaConfig(json, path);
}
