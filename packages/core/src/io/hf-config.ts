import { join } from "node:path";
import { describeValue } from "./json-checks.js";
import { parseLabels } from "./config-labels.js";
import { configFields } from "./config-fields.js";
import {
  bertKeysToDistilbert,
  distilbertToBertKeys,
  ENCODER_MODEL_TYPES,
  type EncoderModelType,
} from "./encoder-config.js";
import { readJsonFile } from "./read-json-file.js";

/** Largest config.json {@link readBertConfig} reads (64 MiB: far above any real config). */
const CONFIG_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Activation names accepted in `hidden_act`. `gelu` is the exact (erf) form; `gelu_new`,
 * `gelu_pytorch_tanh` and `gelu_fast` are the tanh approximation.
 *
 * @example
 * ```ts
 * BERT_HIDDEN_ACTS.includes("gelu"); // true
 * ```
 */
export const BERT_HIDDEN_ACTS = [
  "gelu",
  "gelu_new",
  "gelu_pytorch_tanh",
  "gelu_fast",
  "relu",
  "silu",
  "swish",
  "tanh",
] as const;

/**
 * A supported `hidden_act` value, see {@link BERT_HIDDEN_ACTS}.
 *
 * @example
 * ```ts
 * const act: BertHiddenAct = "gelu_pytorch_tanh";
 * ```
 */
export type BertHiddenAct = (typeof BERT_HIDDEN_ACTS)[number];

/**
 * Hugging Face `problem_type` of a classification head.
 *
 * @example
 * ```ts
 * const p: ClassificationProblemType = "multi_label_classification";
 * ```
 */
export type ClassificationProblemType =
  | "single_label_classification"
  | "multi_label_classification"
  | "regression";

const PROBLEM_TYPES: readonly ClassificationProblemType[] = [
  "single_label_classification",
  "multi_label_classification",
  "regression",
];

/**
 * A validated Hugging Face BERT `config.json`, with camelCase names. Keys tunekit does not
 * interpret (`architectures`, `transformers_version`, `torch_dtype`, ...) are kept verbatim
 * in `extra` so {@link bertConfigToJson} writes them back.
 *
 * @example
 * ```ts
 * const cfg: BertConfig = parseBertConfig(JSON.parse(text));
 * cfg.hiddenSize / cfg.numAttentionHeads; // head size
 * ```
 */
export interface BertConfig {
  /** `bert`, or a BERT-architecture encoder: `roberta`, `xlm-roberta`, `electra`, `distilbert`. */
  readonly modelType: EncoderModelType;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly hiddenAct: BertHiddenAct;
  readonly hiddenDropoutProb: number;
  readonly attentionProbsDropoutProb: number;
  readonly maxPositionEmbeddings: number;
  /** Token types (segments); 0 for DistilBERT, which has no token type embeddings. */
  readonly typeVocabSize: number;
  /** ELECTRA's `embedding_size` (embeddings projected to `hiddenSize` when it differs); absent: `hiddenSize`. */
  readonly embeddingSize?: number;
  readonly initializerRange: number;
  readonly layerNormEps: number;
  /** Padding token id (its embedding row gets no gradient); absent when `pad_token_id` is null. */
  readonly padTokenId?: number;
  readonly positionEmbeddingType: "absolute";
  /** Dropout before the classifier; absent means `hiddenDropoutProb` (HF `classifier_dropout: null`). */
  readonly classifierDropout?: number;
  /** Label names by id; `numLabels === id2label.length`. */
  readonly id2label: readonly string[];
  readonly label2id: Readonly<Record<string, number>>;
  readonly numLabels: number;
  readonly problemType?: ClassificationProblemType;
  /** Other keys of the JSON file, passed through unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Upper bounds that reject absurd (or hostile) sizes before anything is allocated. */
const LIMITS = {
  vocab_size: 10_000_000,
  hidden_size: 65_536,
  num_hidden_layers: 512,
  num_attention_heads: 65_536,
  intermediate_size: 262_144,
  max_position_embeddings: 1_048_576,
  type_vocab_size: 65_536,
  embedding_size: 65_536,
  num_labels: 1_000_000,
} as const;

const KNOWN_KEYS = new Set([
  "model_type",
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "intermediate_size",
  "hidden_act",
  "hidden_dropout_prob",
  "attention_probs_dropout_prob",
  "max_position_embeddings",
  "type_vocab_size",
  "initializer_range",
  "layer_norm_eps",
  "embedding_size",
  "pad_token_id",
  "position_embedding_type",
  "classifier_dropout",
  "id2label",
  "label2id",
  "num_labels",
  "problem_type",
]);

/**
 * Validates a parsed Hugging Face BERT `config.json` and returns a typed {@link BertConfig}.
 * The BERT-architecture encoders read too, by `model_type`: `roberta` / `xlm-roberta`
 * (`pad_token_id` defaults to 1), `electra` (`embedding_size`, default 128) and `distilbert`
 * (its own keys `dim`, `n_layers`, `n_heads`, `hidden_dim`, `activation`, `dropout`,
 * `attention_dropout`, `seq_classif_dropout`, see `distilbertToBertKeys`; no token types).
 * The size keys (`vocab_size`, `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
 * `intermediate_size`) are required; the others default like `transformers.BertConfig`. Labels
 * come from `id2label` (ids 0..n-1, no gaps), else `num_labels`, else 2 labels `LABEL_0`,
 * `LABEL_1`. Anything invalid or unsupported throws `TunekitError("CONFIG_INVALID")` naming the
 * key, the received value and what is allowed.
 *
 * @example
 * ```ts
 * const cfg = parseBertConfig({ model_type: "bert", vocab_size: 64, hidden_size: 32,
 *   num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 });
 * cfg.id2label; // ["LABEL_0", "LABEL_1"]
 * ```
 */
export function parseBertConfig(json: unknown, source = "config.json"): BertConfig {
  const raw = configFields(json, source, LIMITS).cfg;
  const modelType = raw.model_type ?? "bert";
  if (!(ENCODER_MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    throw configFields(json, source, LIMITS).fail(
      "model_type",
      `model_type must be one of ${ENCODER_MODEL_TYPES.map((t) => `"${t}"`).join(", ")}, got ${describeValue(modelType)}; ` +
        "decoders (llama, mistral, qwen2, gpt2) load with loadCausalLmCheckpoint",
    );
  }
  const type = modelType as EncoderModelType;
  const { cfg, fail, int, real } = configFields(
    type === "distilbert" ? distilbertToBertKeys(raw, source) : json,
    source,
    LIMITS,
  );

  const probability = (key: string, fallback: number): number =>
    real(key, fallback, (x) => x >= 0 && x < 1, "a number in [0, 1)");

  const vocabSize = int("vocab_size", 1);
  const hiddenSize = int("hidden_size", 1);
  const numHiddenLayers = int("num_hidden_layers", 1);
  const numAttentionHeads = int("num_attention_heads", 1);
  if (hiddenSize % numAttentionHeads !== 0) {
    throw fail(
      "num_attention_heads",
      `num_attention_heads (${numAttentionHeads}) must divide hidden_size (${hiddenSize})`,
    );
  }
  const intermediateSize = int("intermediate_size", 1);
  const maxPositionEmbeddings = int("max_position_embeddings", 1, 512);
  const typeVocabSize = int("type_vocab_size", type === "distilbert" ? 0 : 1, 2);
  const embeddingSize = type === "electra" ? int("embedding_size", 1, 128) : undefined;

  const hiddenAct = cfg.hidden_act ?? "gelu";
  if (typeof hiddenAct !== "string" || !(BERT_HIDDEN_ACTS as readonly string[]).includes(hiddenAct)) {
    throw fail(
      "hidden_act",
      `hidden_act must be one of ${BERT_HIDDEN_ACTS.map((a) => `"${a}"`).join(", ")}, got ${describeValue(hiddenAct)}`,
    );
  }
  const positionType = cfg.position_embedding_type ?? "absolute";
  if (positionType !== "absolute") {
    throw fail(
      "position_embedding_type",
      `position_embedding_type must be "absolute" (relative position embeddings are not supported), got ${describeValue(positionType)}`,
    );
  }

  let padTokenId: number | undefined = type === "roberta" || type === "xlm-roberta" ? 1 : 0;
  if (cfg.pad_token_id === null) padTokenId = undefined;
  else if (cfg.pad_token_id !== undefined) {
    const p = cfg.pad_token_id;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p >= vocabSize) {
      throw fail(
        "pad_token_id",
        `pad_token_id must be null or an integer in [0, vocab_size - 1 = ${vocabSize - 1}], got ${describeValue(p)}`,
      );
    }
    padTokenId = p;
  }

  const classifierDropout =
    cfg.classifier_dropout === null || cfg.classifier_dropout === undefined
      ? undefined
      : probability("classifier_dropout", 0);

  let problemType: ClassificationProblemType | undefined;
  if (cfg.problem_type !== undefined && cfg.problem_type !== null) {
    if (!PROBLEM_TYPES.includes(cfg.problem_type as ClassificationProblemType)) {
      throw fail(
        "problem_type",
        `problem_type must be null or one of ${PROBLEM_TYPES.map((p) => `"${p}"`).join(", ")}, got ${describeValue(cfg.problem_type)}`,
      );
    }
    problemType = cfg.problem_type as ClassificationProblemType;
  }

  const { id2label, label2id } = parseLabels(cfg, fail, (key, min) => int(key, min));

  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!KNOWN_KEYS.has(k))
      Object.defineProperty(extra, k, { value: v, enumerable: true, writable: true, configurable: true });
  }

  return {
    modelType: type,
    vocabSize,
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads,
    intermediateSize,
    hiddenAct: hiddenAct as BertHiddenAct,
    hiddenDropoutProb: probability("hidden_dropout_prob", 0.1),
    attentionProbsDropoutProb: probability("attention_probs_dropout_prob", 0.1),
    maxPositionEmbeddings,
    typeVocabSize,
    ...(embeddingSize === undefined ? {} : { embeddingSize }),
    initializerRange: real("initializer_range", 0.02, (x) => x >= 0 && x <= 10, "a number in [0, 10]"),
    layerNormEps: real("layer_norm_eps", 1e-12, (x) => x > 0 && x < 1, "a number in (0, 1)"),
    ...(padTokenId === undefined ? {} : { padTokenId }),
    positionEmbeddingType: "absolute",
    ...(classifierDropout === undefined ? {} : { classifierDropout }),
    id2label,
    label2id,
    numLabels: id2label.length,
    ...(problemType === undefined ? {} : { problemType }),
    extra,
  };
}

/**
 * Converts a {@link BertConfig} back to Hugging Face `config.json` keys (extra keys first,
 * then the known ones); `parseBertConfig(bertConfigToJson(cfg))` equals `cfg`.
 *
 * @example
 * ```ts
 * await writeFile("out/config.json", JSON.stringify(bertConfigToJson(cfg), null, 2));
 * ```
 */
export function bertConfigToJson(cfg: BertConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg.extra)) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  Object.assign(out, {
    model_type: cfg.modelType,
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numHiddenLayers,
    num_attention_heads: cfg.numAttentionHeads,
    intermediate_size: cfg.intermediateSize,
    hidden_act: cfg.hiddenAct,
    hidden_dropout_prob: cfg.hiddenDropoutProb,
    attention_probs_dropout_prob: cfg.attentionProbsDropoutProb,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    type_vocab_size: cfg.typeVocabSize,
    initializer_range: cfg.initializerRange,
    layer_norm_eps: cfg.layerNormEps,
    pad_token_id: cfg.padTokenId ?? null,
    position_embedding_type: cfg.positionEmbeddingType,
    classifier_dropout: cfg.classifierDropout ?? null,
    id2label: Object.fromEntries(cfg.id2label.map((name, i) => [String(i), name])),
    label2id: Object.fromEntries(cfg.id2label.map((name, i) => [name, i])),
    problem_type: cfg.problemType ?? null,
  });
  if (cfg.embeddingSize !== undefined) out.embedding_size = cfg.embeddingSize;
  return cfg.modelType === "distilbert" ? bertKeysToDistilbert(out) : out;
}

/**
 * Reads and validates `<folder>/config.json` with {@link parseBertConfig}. A missing file
 * throws `TunekitError("IO_ERROR")`; invalid JSON or values throw `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const cfg = await readBertConfig("checkpoints/bert-tiny");
 * ```
 */
export async function readBertConfig(folder: string): Promise<BertConfig> {
  const path = join(folder, "config.json");
  const json = await readJsonFile(path, {
    what: "model config",
    maxBytes: CONFIG_MAX_BYTES,
    invalidCode: "CONFIG_INVALID",
    unreadableHint: `; is ${folder} a model folder?`,
  });
  return parseBertConfig(json, path);
}
