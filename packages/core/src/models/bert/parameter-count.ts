import { TunekitError } from "../../errors.js";
import type { BertConfig } from "../../io/bert-config.js";

/**
 * Largest BERT {@link createBertForTask} builds: 2e9 parameters (8 GB of float32). A
 * hostile or mistyped `config.json` (e.g. `vocab_size` 10M × `hidden_size` 65536) is
 * rejected with `CONFIG_INVALID` before anything is allocated, instead of a `RangeError`
 * or an out-of-memory crash.
 *
 * @example
 * ```ts
 * bertParameterCount(config).total <= MAX_BERT_PARAMETERS;
 * ```
 */
export const MAX_BERT_PARAMETERS = 2_000_000_000;

/**
 * Parameter counts of a BERT built from `config`, computed from the sizes alone (no
 * allocation): `body` (embeddings and encoder layers), `pooler` (0 without one), `head`
 * (the classifier, 0 without one) and `total`.
 *
 * @example
 * ```ts
 * bertParameterCount(config, { pooler: true, numLabels: 2 }).total; // 109,483,778 for bert-base
 * ```
 */
export function bertParameterCount(
  config: Pick<
    BertConfig,
    | "vocabSize"
    | "hiddenSize"
    | "numHiddenLayers"
    | "intermediateSize"
    | "maxPositionEmbeddings"
    | "typeVocabSize"
  > &
    Partial<Pick<BertConfig, "embeddingSize">>,
  options: { readonly pooler?: boolean; readonly numLabels?: number } = {},
): { body: number; pooler: number; head: number; total: number } {
  const h = config.hiddenSize;
  const i = config.intermediateSize;
  const e = config.embeddingSize ?? h; // ELECTRA: narrower tables, then a projection to h
  const embeddings =
    (config.vocabSize + config.maxPositionEmbeddings + config.typeVocabSize) * e +
    2 * e +
    (e === h ? 0 : e * h + h);
  const layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  const body = embeddings + config.numHiddenLayers * layer;
  const pooler = options.pooler ? h * h + h : 0;
  const c = options.numLabels ?? 0;
  const head = c > 0 ? c * h + c : 0;
  return { body, pooler, head, total: body + pooler + head };
}

/**
 * Throws `CONFIG_INVALID` when a BERT of `config` would have more than
 * {@link MAX_BERT_PARAMETERS} parameters.
 *
 * @example
 * ```ts
 * checkBertSize(config, { pooler: true, numLabels: 2 });
 * ```
 */
export function checkBertSize(
  config: BertConfig,
  options: { readonly pooler?: boolean; readonly numLabels?: number } = {},
): void {
  const { total } = bertParameterCount(config, options);
  if (total > MAX_BERT_PARAMETERS) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `config describes a BERT of ${total.toExponential(3)} parameters (vocab_size ${config.vocabSize}, ` +
        `hidden_size ${config.hiddenSize}, num_hidden_layers ${config.numHiddenLayers}, intermediate_size ` +
        `${config.intermediateSize}), more than the ${MAX_BERT_PARAMETERS.toExponential(0)} tunekit builds; ` +
        "check config.json (is it the config of this model?)",
    );
  }
}
