import type { Rng } from "../../data/random.js";
import type { Tensor } from "../../ir/graph.js";
import { add, concat, mul, reshape, transpose } from "../../ir/ops.js";
import { filledTensor } from "../../modules/init.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, Layer, Module } from "../../modules/module.js";
import { Parameter } from "../../modules/parameter.js";
import { applyRotary, applyRotaryTables, groupedQueryAttention, rmsNorm, silu } from "./decoder-ops.js";
import type { StaticKvCache } from "./kv-cache.js";
import type { LlamaConfig } from "./llama-config.js";

/**
 * What a decoder layer needs beyond its input in generation: rotary tables at explicit
 * positions (`rotaryAtPositions`; default: positions `0 .. S-1`) and a static key/value
 * cache with this layer's index in it.
 *
 * @example
 * ```ts
 * const step: DecoderStep = { rope: rotaryAtPositions(positionIds, 8, 10000, 64), cache, layer: 0 };
 * ```
 */
export interface DecoderStep {
  readonly rope?: { readonly cos: Tensor; readonly signedSin: Tensor } | undefined;
  readonly cache?: StaticKvCache | undefined;
  readonly layer: number;
  /** Prefix tuning: key/value vectors `[B, kvHeads, P, headDim]` attended before the tokens' own (not rotated). */
  readonly prefix?: { readonly key: Tensor; readonly value: Tensor } | undefined;
}

/**
 * Llama's RMSNorm with a learned `weight` (ones at initialisation), see {@link rmsNorm}.
 *
 * @example
 * ```ts
 * const norm = new LlamaRMSNorm(32, 1e-6);
 * const y = norm.forward(x); // x [B, S, 32]
 * ```
 */
export class LlamaRMSNorm extends Layer {
  readonly eps: number;

  constructor(dim: number, eps: number) {
    super();
    this.eps = eps;
    this.registerParameter("weight", new Parameter("weight", filledTensor([dim], 1)));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, x.graph.param(this.param("weight")), this.eps);
  }
}

/**
 * Self-attention of a Llama-family decoder layer, Hugging Face names `q_proj`, `k_proj`,
 * `v_proj`, `o_proj`: grouped-query attention (`num_key_value_heads`), rotary embeddings
 * on queries and keys (`rope_theta`), optional q/k/v biases (Qwen2, Llama `attention_bias`).
 * Children are looked up by name at call time, so a LoRA wrapper can replace any projection.
 *
 * @example
 * ```ts
 * const attn = new LlamaAttention(config, mulberry32(0));
 * const y = attn.forward(h, causalMaskBias(h.graph, s, mask), ctx); // [B, S, H]
 * ```
 */
export class LlamaAttention extends Module {
  readonly numHeads: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly ropeTheta: number;

  constructor(config: LlamaConfig, rng: Rng) {
    super();
    this.numHeads = config.numAttentionHeads;
    this.numKeyValueHeads = config.numKeyValueHeads;
    this.headDim = config.headDim;
    this.ropeTheta = config.ropeTheta;
    const h = config.hiddenSize;
    const q = this.numHeads * this.headDim;
    const kv = this.numKeyValueHeads * this.headDim;
    const init = { rng, std: config.initializerRange };
    this.registerModule("q_proj", new Linear(h, q, { ...init, bias: config.qkvBias }));
    this.registerModule("k_proj", new Linear(h, kv, { ...init, bias: config.qkvBias }));
    this.registerModule("v_proj", new Linear(h, kv, { ...init, bias: config.qkvBias }));
    this.registerModule("o_proj", new Linear(q, h, { ...init, bias: config.outputBias }));
  }

  /**
   * `x [B, S, H]`, `maskBias` additive `[B|1, 1, S, S]` (see `causalMaskBias`; `[B, 1, 1, capacity]`
   * when decoding with a cache). Returns `[B, S, H]`.
   */
  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, step?: DecoderStep): Tensor {
    const [b, s] = x.shape as [number, number, number];
    const d = this.headDim;
    const heads = (name: string, n: number): Tensor =>
      transpose(reshape(this.child<Layer>(name).forward(x, ctx), [b, s, n, d]), [0, 2, 1, 3]);
    const rope = step?.rope;
    const rotate = (t: Tensor): Tensor =>
      rope ? applyRotaryTables(t, rope) : applyRotary(t, this.ropeTheta);
    const q = rotate(heads("q_proj", this.numHeads));
    const kNew = rotate(heads("k_proj", this.numKeyValueHeads));
    const vNew = heads("v_proj", this.numKeyValueHeads);
    let { keys: k, values: v } = step?.cache
      ? step.cache.update(step.layer, kNew, vNew)
      : { keys: kNew, values: vNew };
    if (step?.prefix) {
      k = concat([step.prefix.key, k], 2);
      v = concat([step.prefix.value, v], 2);
    }
    const context = groupedQueryAttention(q, k, v, maskBias, 1 / Math.sqrt(d));
    const merged = reshape(transpose(context, [0, 2, 1, 3]), [b, s, this.numHeads * d]);
    return this.child<Layer>("o_proj").forward(merged, ctx);
  }
}

/**
 * The SwiGLU feed-forward block, Hugging Face names `gate_proj`, `up_proj`, `down_proj`:
 * `down(silu(gate(x)) · up(x))`.
 *
 * @example
 * ```ts
 * const y = new LlamaMLP(config, mulberry32(0)).forward(h); // [B, S, H]
 * ```
 */
export class LlamaMLP extends Layer {
  constructor(config: LlamaConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    const i = config.intermediateSize;
    const opts = { rng, std: config.initializerRange, bias: config.mlpBias };
    this.registerModule("gate_proj", new Linear(h, i, opts));
    this.registerModule("up_proj", new Linear(h, i, opts));
    this.registerModule("down_proj", new Linear(i, h, opts));
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const gate = silu(this.child<Layer>("gate_proj").forward(x, ctx));
    const up = this.child<Layer>("up_proj").forward(x, ctx);
    return this.child<Layer>("down_proj").forward(mul(gate, up), ctx);
  }
}

/**
 * One pre-norm decoder layer: `x + attn(input_layernorm(x))`, then
 * `x + mlp(post_attention_layernorm(x))` (Hugging Face `LlamaDecoderLayer`).
 *
 * @example
 * ```ts
 * const y = new LlamaDecoderLayer(config, mulberry32(0)).forward(x, maskBias, ctx);
 * ```
 */
export class LlamaDecoderLayer extends Module {
  constructor(config: LlamaConfig, rng: Rng) {
    super();
    this.registerModule("self_attn", new LlamaAttention(config, rng));
    this.registerModule("mlp", new LlamaMLP(config, rng));
    this.registerModule("input_layernorm", new LlamaRMSNorm(config.hiddenSize, config.rmsNormEps));
    this.registerModule("post_attention_layernorm", new LlamaRMSNorm(config.hiddenSize, config.rmsNormEps));
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, step?: DecoderStep): Tensor {
    const normed = this.child<Layer>("input_layernorm").forward(x, ctx);
    const h = add(x, this.child<LlamaAttention>("self_attn").forward(normed, maskBias, ctx, step));
    const normed2 = this.child<Layer>("post_attention_layernorm").forward(h, ctx);
    return add(h, this.child<Layer>("mlp").forward(normed2, ctx));
  }
}
