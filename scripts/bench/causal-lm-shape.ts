/** A decoder shape (Hugging Face config names) plus the batch the bench feeds it. */
export interface CausalLmShape {
  /** Printed on the line: `small` or `smollm2-135m`. */
  readonly name: string;
  readonly layers: number;
  /** The layers of the full model this shape stands for (printed when fewer are timed). */
  readonly fullLayers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly tied: boolean;
  readonly batch: number;
  readonly seq: number;
}

/** The Hugging Face config.json of a shape (the peer builds the same one). */
export function shapeConfig(s: CausalLmShape): Record<string, unknown> {
  return {
    model_type: "llama",
    vocab_size: s.vocab,
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    hidden_act: "silu",
    max_position_embeddings: Math.max(2048, s.seq),
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: s.tied,
  };
}

/**
 * MatMul FLOPs of one step, counted as the peer counts them: per token and layer
 * `2·(2H² + 2H·kv + 3H·I) + 4·S·H` (projections, MLP, scores and context), plus `2·H·V` for
 * the LM head; full fine-tuning 3× the forward; LoRA 3× minus the frozen weights' gradients.
 */
export function causalLmFlops(s: CausalLmShape, mode: "full" | "lora"): number {
  const tok = s.batch * s.seq;
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const dense = 2 * tok * (2 * s.hidden * s.hidden + 2 * s.hidden * kv + 3 * s.hidden * s.intermediate);
  const head = 2 * tok * s.hidden * s.vocab;
  const fwd = s.layers * (dense + 4 * tok * s.seq * s.hidden) + head;
  return mode === "full" ? 3 * fwd : 3 * fwd - s.layers * dense - head;
}
