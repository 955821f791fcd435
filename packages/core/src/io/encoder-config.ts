import { describeValue, isJsonObject } from "./json-checks.js";
import { TunekitError } from "../errors.js";

/**
 * The Hugging Face `model_type`s of the BERT-architecture encoders tunekit builds:
 * BERT, RoBERTa, XLM-RoBERTa, ELECTRA and DistilBERT.
 *
 * @example
 * ```ts
 * ENCODER_MODEL_TYPES.includes("roberta"); // true
 * ```
 */
export const ENCODER_MODEL_TYPES = ["bert", "roberta", "xlm-roberta", "electra", "distilbert"] as const;

/**
 * One of {@link ENCODER_MODEL_TYPES}.
 *
 * @example
 * ```ts
 * const t: EncoderModelType = "distilbert";
 * ```
 */
export type EncoderModelType = (typeof ENCODER_MODEL_TYPES)[number];

/**
 * Whether a parsed `config.json` is one of the encoders {@link ENCODER_MODEL_TYPES} names
 * (a missing `model_type` counts as BERT, as old BERT checkpoints have none).
 *
 * @example
 * ```ts
 * isEncoderConfigJson({ model_type: "electra" }); // true
 * isEncoderConfigJson({ model_type: "llama" }); // false
 * ```
 */
export function isEncoderConfigJson(json: unknown): boolean {
  if (!isJsonObject(json)) return false;
  const t = json.model_type;
  return t === undefined || (ENCODER_MODEL_TYPES as readonly unknown[]).includes(t);
}

/**
 * The attribute name of the encoder inside Hugging Face's task models, the first segment of
 * their parameter names: `bert`, `roberta` (RoBERTa and XLM-RoBERTa), `electra`, `distilbert`.
 *
 * @example
 * ```ts
 * encoderPrefix("xlm-roberta"); // "roberta"
 * ```
 */
export function encoderPrefix(modelType: EncoderModelType): string {
  return modelType === "xlm-roberta" ? "roberta" : modelType;
}

/**
 * Hugging Face class-name stem of an encoder (`Bert`, `Roberta`, `XLMRoberta`, `Electra`,
 * `DistilBert`), for `architectures` in a saved `config.json`.
 *
 * @example
 * ```ts
 * `${encoderClassStem("roberta")}ForSequenceClassification`; // "RobertaForSequenceClassification"
 * ```
 */
export function encoderClassStem(modelType: EncoderModelType): string {
  const stems: Record<EncoderModelType, string> = {
    bert: "Bert",
    roberta: "Roberta",
    "xlm-roberta": "XLMRoberta",
    electra: "Electra",
    distilbert: "DistilBert",
  };
  return stems[modelType];
}

/** DistilBERT key -> the BERT key it means. */
const DISTILBERT_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["dim", "hidden_size"],
  ["n_layers", "num_hidden_layers"],
  ["n_heads", "num_attention_heads"],
  ["hidden_dim", "intermediate_size"],
  ["activation", "hidden_act"],
  ["dropout", "hidden_dropout_prob"],
  ["attention_dropout", "attention_probs_dropout_prob"],
  ["seq_classif_dropout", "classifier_dropout"],
];

/**
 * Rewrites a DistilBERT `config.json` object (`dim`, `n_layers`, `n_heads`, `hidden_dim`,
 * `activation`, `dropout`, `attention_dropout`, `seq_classif_dropout`) into the BERT keys the
 * encoder config parser reads, with DistilBERT's fixed values (no token types, LayerNorm eps
 * 1e-12, absolute learned positions; defaults 768 / 6 / 12 / 3072 as `DistilBertConfig`).
 * The BERT names are read when the DistilBERT ones are absent, as transformers' `attribute_map`
 * does. Keys it does not translate stay as they are. Sinusoidal position embeddings
 * (`sinusoidal_pos_embds: true`, frozen in Hugging Face) are refused with `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * distilbertToBertKeys({ model_type: "distilbert", dim: 32, n_layers: 2 }, "config.json").hidden_size; // 32
 * ```
 */
export function distilbertToBertKeys(
  cfg: Readonly<Record<string, unknown>>,
  source: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  const translated = new Set(DISTILBERT_KEYS.map(([d]) => d));
  for (const [k, v] of Object.entries(cfg)) if (!translated.has(k)) put(k, v);
  const defaults: Record<string, unknown> = {
    dim: 768,
    n_layers: 6,
    n_heads: 12,
    hidden_dim: 3072,
    activation: "gelu",
    dropout: 0.1,
    attention_dropout: 0.1,
    seq_classif_dropout: 0.2,
  };
  // transformers' attribute_map lets `hidden_size` etc. stand for `dim` etc.
  for (const [d, b] of DISTILBERT_KEYS) put(b, cfg[d] ?? cfg[b] ?? defaults[d]);
  for (const bertOnly of ["type_vocab_size", "layer_norm_eps", "position_embedding_type"]) {
    if (cfg[bertOnly] !== undefined) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `${source}: a DistilBERT config has no ${bertOnly} (got ${describeValue(cfg[bertOnly])}); ` +
          'remove it or set model_type to "bert"',
        { details: { key: bertOnly } },
      );
    }
  }
  if (cfg.sinusoidal_pos_embds === true) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `${source}: sinusoidal_pos_embds true (fixed sinusoidal positions) is not supported; ` +
        "tunekit trains learned position embeddings (sinusoidal_pos_embds false, as distilbert-base-uncased)",
      { details: { key: "sinusoidal_pos_embds" } },
    );
  }
  put("type_vocab_size", 0);
  put("layer_norm_eps", 1e-12);
  return out;
}

/**
 * The inverse of {@link distilbertToBertKeys} for writing a config back: BERT keys become
 * DistilBERT's and the fixed ones (`type_vocab_size`, `layer_norm_eps`,
 * `position_embedding_type`) are dropped.
 *
 * @example
 * ```ts
 * bertKeysToDistilbert({ hidden_size: 32, type_vocab_size: 0 }); // { dim: 32 }
 * ```
 */
export function bertKeysToDistilbert(json: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const back = new Map(DISTILBERT_KEYS.map(([d, b]) => [b, d]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === "type_vocab_size" || k === "layer_norm_eps" || k === "position_embedding_type") continue;
    Object.defineProperty(out, back.get(k) ?? k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
