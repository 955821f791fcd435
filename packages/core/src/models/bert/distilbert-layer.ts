import type { Rng } from "../../data/random.js";
import { attentionWithDropout } from "../attention-dropout.js";
import type { BertConfig } from "../../io/bert-config.js";
import type { Tensor } from "../../ir/graph.js";
import { add, reshape, transpose } from "../../ir/ops.js";
import { Dropout } from "../../modules/dropout.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module, ModuleList } from "../../modules/module.js";
import { applyActivation } from "./bert-layer.js";

/**
 * DistilBERT's `MultiHeadSelfAttention` (`q_lin`, `k_lin`, `v_lin`, `out_lin`, `dropout` on
 * the attention weights): BERT's attention with its output projection inside, Hugging Face
 * names. Takes the additive mask bias `[B, 1, 1, S]`.
 *
 * @example
 * ```ts
 * const y = new DistilBertAttention(config, rng).forward(x, maskBias, ctx); // [B, S, dim]
 * ```
 */
export class DistilBertAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const h = config.hiddenSize;
    this.numHeads = config.numAttentionHeads;
    this.headDim = h / this.numHeads;
    const init = { rng, std: config.initializerRange };
    for (const name of ["q_lin", "k_lin", "v_lin", "out_lin"])
      this.registerModule(name, new Linear(h, h, init));
    this.registerModule("dropout", new Dropout(config.attentionProbsDropoutProb));
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const [b, s, h] = x.shape as [number, number, number];
    const heads = (name: string): Tensor =>
      transpose(
        reshape(this.child<Layer>(name).forward(x, ctx), [b, s, this.numHeads, this.headDim]),
        [0, 2, 1, 3],
      );
    const q = heads("q_lin");
    const k = heads("k_lin");
    const v = heads("v_lin");
    const scale = 1 / Math.sqrt(this.headDim);
    const out = attentionWithDropout(q, k, v, maskBias, scale, this.child<Layer>("dropout"), ctx);
    return this.child<Layer>("out_lin").forward(reshape(transpose(out, [0, 2, 1, 3]), [b, s, h]), ctx);
  }
}

/**
 * DistilBERT's feed-forward `FFN`: `lin1` -> activation -> `lin2` -> `dropout`.
 *
 * @example
 * ```ts
 * const y = new DistilBertFfn(config, rng).forward(x, ctx);
 * ```
 */
export class DistilBertFfn extends Module {
  readonly activation: string;

  constructor(config: BertConfig, rng: Rng) {
    super();
    this.activation = config.hiddenAct;
    const init = { rng, std: config.initializerRange };
    this.registerModule("lin1", new Linear(config.hiddenSize, config.intermediateSize, init));
    this.registerModule("lin2", new Linear(config.intermediateSize, config.hiddenSize, init));
    this.registerModule("dropout", new Dropout(config.hiddenDropoutProb));
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const h = applyActivation(this.child<Layer>("lin1").forward(x, ctx), this.activation);
    return this.child<Layer>("dropout").forward(this.child<Layer>("lin2").forward(h, ctx), ctx);
  }
}

/**
 * One DistilBERT `TransformerBlock` (post-LayerNorm like BERT): `attention`,
 * `sa_layer_norm(attention + x)`, `ffn`, `output_layer_norm(ffn + ·)`.
 *
 * @example
 * ```ts
 * const y = new DistilBertBlock(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class DistilBertBlock extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.registerModule("attention", new DistilBertAttention(config, rng));
    this.registerModule("sa_layer_norm", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.registerModule("ffn", new DistilBertFfn(config, rng));
    this.registerModule("output_layer_norm", new LayerNorm(config.hiddenSize, config.layerNormEps));
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const a = this.child<DistilBertAttention>("attention").forward(x, maskBias, ctx);
    const sa = this.child<Layer>("sa_layer_norm").forward(add(a, x), ctx);
    const f = this.child<DistilBertFfn>("ffn").forward(sa, ctx);
    return this.child<Layer>("output_layer_norm").forward(add(f, sa), ctx);
  }
}

/**
 * DistilBERT's `Transformer`: the stack `layer.0`, `layer.1`, … of {@link DistilBertBlock}.
 *
 * @example
 * ```ts
 * const h = new DistilBertTransformer(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class DistilBertTransformer extends Module {
  constructor(config: BertConfig, rng: Rng) {
    super();
    const layers = new ModuleList<DistilBertBlock>();
    for (let i = 0; i < config.numHiddenLayers; i++) layers.push(new DistilBertBlock(config, rng));
    this.registerModule("layer", layers);
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    let h = x;
    for (const layer of this.child<ModuleList<DistilBertBlock>>("layer")) h = layer.forward(h, maskBias, ctx);
    return h;
  }
}
