import { TunekitError } from "../../errors.js";
import { attentionWithDropout } from "../attention-dropout.js";
import type { Rng } from "../../data/random.js";
import type { BertConfig } from "../../io/bert-config.js";
import { gelu } from "../../ir/composites.js";
import type { Tensor } from "../../ir/graph.js";
import { add, concat, div, exp, maximum, neg, reshape, tanh, transpose } from "../../ir/ops.js";
import { Dropout } from "../../modules/dropout.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";

/**
 * Applies a Hugging Face `hidden_act`: `gelu` (erf form), `gelu_new` /
 * `gelu_pytorch_tanh` (tanh form), `relu`, `silu` / `swish`, `tanh`.
 *
 * @example
 * ```ts
 * const h = applyActivation(x, "gelu");
 * ```
 */
export function applyActivation(x: Tensor, name: string): Tensor {
  checkActivation(name);
  switch (name) {
    case "gelu":
      return gelu(x, "none");
    case "gelu_new":
    case "gelu_pytorch_tanh":
    case "gelu_fast":
      return gelu(x, "tanh");
    case "relu":
      return maximum(x, 0);
    case "silu":
    case "swish":
      return div(x, add(exp(neg(x)), 1));
    default:
      return tanh(x);
  }
}

const ACTIVATIONS = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh"];

function checkActivation(name: string): void {
  if (!ACTIVATIONS.includes(name)) {
    throw new TunekitError(
      "CONFIG_INVALID",
      `hidden_act "${name}" is not supported; expected one of ${ACTIVATIONS.join(", ")}`,
    );
  }
}

/**
 * Hook of prefix tuning (Hugging Face's `past_key_value` of one layer): `key` and `value`,
 * both `[B, numHeads, P, headDim]`, are prepended to the layer's own keys and values, so
 * every query also attends to `P` extra positions. The mask bias passed with a prefix must
 * cover the `P + S` key positions (`[B, 1, 1, P + S]`). Absent, nothing changes.
 *
 * @example
 * ```ts
 * const prefix: AttentionPrefix = { key: pk, value: pv }; // [B, heads, P, headDim] each
 * layer.forward(x, extendedMaskBias, ctx, prefix);
 * ```
 */
export interface AttentionPrefix {
  readonly key: Tensor;
  readonly value: Tensor;
}

/**
 * Multi-head self-attention (`query`, `key`, `value`, `dropout`). Takes the additive mask
 * bias `[B, 1, 1, S]` (0 keeps, float32 min drops). Uses the fused `attention` composite
 * except when attention dropout is active (training with a non-zero rate). An optional
 * {@link AttentionPrefix} prepends key/value positions (prefix tuning).
 *
 * @example
 * ```ts
 * const ctxOut = selfAttention.forward(x, maskBias, ctx); // [B, S, hidden]
 * ```
 */
export class BertSelfAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    if (h % config.numAttentionHeads !== 0) {
      throw new TunekitError(
        "CONFIG_INVALID",
        `hidden_size ${h} is not a multiple of num_attention_heads ${config.numAttentionHeads}`,
      );
    }
    this.numHeads = config.numAttentionHeads;
    this.headDim = h / this.numHeads;
    const init = { rng, std: config.initializerRange };
    this.registerModule("query", new Linear(h, h, init));
    this.registerModule("key", new Linear(h, h, init));
    this.registerModule("value", new Linear(h, h, init));
    this.registerModule("dropout", new Dropout(config.attentionProbsDropoutProb));
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, prefix?: AttentionPrefix): Tensor {
    const [b, s, h] = x.shape as [number, number, number];
    const heads = (t: Tensor): Tensor =>
      transpose(reshape(t, [b, s, this.numHeads, this.headDim]), [0, 2, 1, 3]);
    const q = heads(this.child<Layer>("query").forward(x, ctx));
    let k = heads(this.child<Layer>("key").forward(x, ctx));
    let v = heads(this.child<Layer>("value").forward(x, ctx));
    if (prefix) {
      k = concat([prefix.key, k], 2);
      v = concat([prefix.value, v], 2);
    }
    const scale = 1 / Math.sqrt(this.headDim);
    const out = attentionWithDropout(q, k, v, maskBias, scale, this.child<Layer>("dropout"), ctx);
    return reshape(transpose(out, [0, 2, 1, 3]), [b, s, h]);
  }
}

/**
 * `dense` -> `dropout` -> `LayerNorm(· + residual)`: BertSelfOutput and BertOutput.
 *
 * @example
 * ```ts
 * const y = new BertResidualOutput(3072, 768, config, rng).forward(h, x, ctx);
 * ```
 */
export class BertResidualOutput extends Module {
  constructor(inFeatures: number, config: BertConfig, rng: Rng) {
    super();
    this.registerModule(
      "dense",
      new Linear(inFeatures, config.hiddenSize, { rng, std: config.initializerRange }),
    );
    this.registerModule("LayerNorm", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.registerModule("dropout", new Dropout(config.hiddenDropoutProb));
  }

  forward(h: Tensor, residual: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const y = this.child<Layer>("dropout").forward(this.child<Layer>("dense").forward(h, ctx), ctx);
    return this.child<Layer>("LayerNorm").forward(add(y, residual), ctx);
  }
}

/**
 * `attention.self` + `attention.output` of one BERT layer.
 *
 * @example
 * ```ts
 * const y = new BertAttention(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class BertAttention extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("self", new BertSelfAttention(config, rng));
    this.registerModule("output", new BertResidualOutput(config.hiddenSize, config, rng));
  }

  /** `prefix`: optional key/value prefix of the self-attention (see {@link AttentionPrefix}). */
  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, prefix?: AttentionPrefix): Tensor {
    const a = this.child<BertSelfAttention>("self").forward(x, maskBias, ctx, prefix);
    return this.child<BertResidualOutput>("output").forward(a, x, ctx);
  }
}

/**
 * Feed-forward expansion `dense` + `hidden_act`.
 *
 * @example
 * ```ts
 * const h = new BertIntermediate(config, rng).forward(x); // [B, S, intermediate]
 * ```
 */
export class BertIntermediate extends Module {
  readonly activation: string;

  constructor(config: BertConfig, rng: Rng) {
    super();
    this.activation = config.hiddenAct;
    checkActivation(config.hiddenAct);
    this.registerModule(
      "dense",
      new Linear(config.hiddenSize, config.intermediateSize, { rng, std: config.initializerRange }),
    );
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    return applyActivation(this.child<Layer>("dense").forward(x, ctx), this.activation);
  }
}

/**
 * One encoder layer: `attention`, `intermediate`, `output`.
 *
 * @example
 * ```ts
 * const y = new BertLayer(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class BertLayer extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("attention", new BertAttention(config, rng));
    this.registerModule("intermediate", new BertIntermediate(config, rng));
    this.registerModule("output", new BertResidualOutput(config.intermediateSize, config, rng));
  }

  /** `prefix`: optional key/value prefix of the self-attention (see {@link AttentionPrefix}). */
  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, prefix?: AttentionPrefix): Tensor {
    const a = this.child<BertAttention>("attention").forward(x, maskBias, ctx, prefix);
    const h = this.child<BertIntermediate>("intermediate").forward(a, ctx);
    return this.child<BertResidualOutput>("output").forward(h, a, ctx);
  }
}
