/**
 * A tiny Hugging Face BERT `config.json` object for tests (2 layers, hidden 8, 2 labels).
 *
 * @example
 * ```ts
 * const model = new BertForSequenceClassification(parseBertConfig(TINY_CONFIG));
 * ```
 */
export const TINY_CONFIG = {
  model_type: "bert",
  vocab_size: 30,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 16,
  max_position_embeddings: 12,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  id2label: { "0": "neg", "1": "pos" },
};
