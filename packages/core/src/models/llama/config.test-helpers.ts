/**
 * A tiny Hugging Face Llama `config.json` object for tests: the config of the shared
 * `llama-tiny-parity` fixture (2 layers, hidden 32, 4 heads with 2 key/value heads, vocab 96).
 *
 * @example
 * ```ts
 * const model = new LlamaForCausalLM(parseLlamaConfig(TINY_LLAMA));
 * ```
 */
export const TINY_LLAMA = {
  model_type: "llama",
  architectures: ["LlamaForCausalLM"],
  vocab_size: 96,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_act: "silu",
  max_position_embeddings: 64,
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  pad_token_id: 0,
  attention_dropout: 0.0,
  torch_dtype: "float32",
  attention_bias: false,
  mlp_bias: false,
};

/**
 * {@link TINY_LLAMA} cut to one layer, hidden 16 and a 20-token vocabulary: a decoder the
 * reference backend trains in a second.
 *
 * @example
 * ```ts
 * const model = new LlamaForCausalLM(parseLlamaConfig(ONE_LAYER_LLAMA), { seed: 4 });
 * ```
 */
export const ONE_LAYER_LLAMA = {
  ...TINY_LLAMA,
  vocab_size: 20,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
};
