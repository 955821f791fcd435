import type { Rng } from "../../data/random.js";
import { attentionWithDropout } from "../attention-dropout.js";
import type { Tensor } from "../../ir/graph.js";
import { gelu } from "../../ir/composites.js";
import { add, concat, reshape, slice, transpose } from "../../ir/ops.js";
import { Dropout } from "../../modules/dropout.js";
import { LayerNorm } from "../../modules/layer-norm.js";
import { Linear } from "../../modules/linear.js";
import { EVAL_CONTEXT, type ForwardContext, type Layer, Module } from "../../modules/module.js";
import type { StaticKvCache } from "../llama/kv-cache.js";
import type { Gpt2Config } from "./gpt2-config.js";

/**
 * Hugging Face's GPT-2 `Conv1D` projection. Hugging Face stores its weight `[in, out]`
 * (transposed against `nn.Linear`); tunekit keeps it as a {@link Linear} (`weight [out, in]`)
 * so every adapter that wraps a Linear wraps it too, and transposes at the checkpoint
 * boundary (`loadGpt2Weights`, `saveGpt2Checkpoint`, {@link conv1dToHf}). PEFT adapters on
 * it are written with `fan_in_fan_out: true`, as PEFT does for Conv1D.
 *
 * @example
 * ```ts
 * const cAttn = new Conv1D(768, 3 * 768, { rng });
 * cAttn.forward(x); // [B, S, 2304]
 * ```
 */
export class Conv1D extends Linear {}

/**
 * A Conv1D weight between tunekit's layout `[out, in]` and Hugging Face's `[in, out]` (the
 * transpose is its own inverse): a row-major copy of `data [rows, cols]` as `[cols, rows]`.
 *
 * @example
 * ```ts
 * const hf = conv1dToHf(weight.data, 72, 24); // tunekit [72, 24] -> Hugging Face [24, 72]
 * ```
 */
export function conv1dToHf(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  }
  return out;
}

/**
 * What a GPT-2 block needs beyond its input in generation or prefix tuning: a static
 * key/value cache with this layer's index, and key/value vectors prepended to the layer's
 * attention (`[B, heads, P, headDim]` each; the mask bias must then cover `P + S` keys).
 *
 * @example
 * ```ts
 * const step: Gpt2Step = { cache, layer: 0 };
 * ```
 */
export interface Gpt2Step {
  readonly cache?: StaticKvCache | undefined;
  readonly layer: number;
  readonly prefix?: { readonly key: Tensor; readonly value: Tensor } | undefined;
}

/**
 * GPT-2 self-attention, Hugging Face names `c_attn` (the fused query/key/value projection,
 * `[H] → [3H]`) and `c_proj`: multi-head attention scaled by `1/√headDim`, attention-probability
 * dropout (`attn_pdrop`) and residual dropout (`resid_pdrop`) in training.
 *
 * @example
 * ```ts
 * const y = new Gpt2Attention(config, rng).forward(h, causalMaskBias(h.graph, s, mask), ctx);
 * ```
 */
export class Gpt2Attention extends Module {
  readonly numHeads: number;
  readonly headDim: number;

  constructor(config: Gpt2Config, rng: Rng) {
    super();
    const h = config.hiddenSize;
    this.numHeads = config.numAttentionHeads;
    this.headDim = config.headDim;
    const init = { rng, std: config.initializerRange };
    this.registerModule("c_attn", new Conv1D(h, 3 * h, init));
    this.registerModule("c_proj", new Conv1D(h, h, init));
    this.registerModule("attn_dropout", new Dropout(config.attnDropout));
    this.registerModule("resid_dropout", new Dropout(config.residDropout));
  }

  /** `x [B, S, H]`, `maskBias` additive `[B|1, 1, S, keys]`. Returns `[B, S, H]`. */
  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, step?: Gpt2Step): Tensor {
    const [b, s, h] = x.shape as [number, number, number];
    const d = this.headDim;
    const qkv = this.child<Layer>("c_attn").forward(x, ctx); // [B, S, 3H]
    const part = (i: number): Tensor =>
      transpose(reshape(slice(qkv, [0, 0, i * h], [b, s, h]), [b, s, this.numHeads, d]), [0, 2, 1, 3]);
    const q = part(0);
    let k = part(1);
    let v = part(2);
    if (step?.cache) ({ keys: k, values: v } = step.cache.update(step.layer, k, v));
    if (step?.prefix) {
      k = concat([step.prefix.key, k], 2);
      v = concat([step.prefix.value, v], 2);
    }
    const scale = 1 / Math.sqrt(d);
    const context = attentionWithDropout(q, k, v, maskBias, scale, this.child<Layer>("attn_dropout"), ctx);
    const merged = reshape(transpose(context, [0, 2, 1, 3]), [b, s, h]);
    return this.child<Layer>("resid_dropout").forward(this.child<Layer>("c_proj").forward(merged, ctx), ctx);
  }
}

/**
 * GPT-2's feed-forward block, Hugging Face names `c_fc`, `c_proj`:
 * `dropout(c_proj(gelu(c_fc(x))))` with GELU's tanh form (`gelu_new`) or erf form (`gelu`).
 *
 * @example
 * ```ts
 * const y = new Gpt2MLP(config, rng).forward(h); // [B, S, H]
 * ```
 */
export class Gpt2MLP extends Module {
  readonly activation: "tanh" | "none";

  constructor(config: Gpt2Config, rng: Rng) {
    super();
    this.activation = config.activation;
    const init = { rng, std: config.initializerRange };
    this.registerModule("c_fc", new Conv1D(config.hiddenSize, config.intermediateSize, init));
    this.registerModule("c_proj", new Conv1D(config.intermediateSize, config.hiddenSize, init));
    this.registerModule("dropout", new Dropout(config.residDropout));
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const hidden = gelu(this.child<Layer>("c_fc").forward(x, ctx), this.activation);
    return this.child<Layer>("dropout").forward(this.child<Layer>("c_proj").forward(hidden, ctx), ctx);
  }
}

/**
 * One pre-norm GPT-2 block (Hugging Face `GPT2Block`): `x + attn(ln_1(x))`, then
 * `x + mlp(ln_2(x))`.
 *
 * @example
 * ```ts
 * const y = new Gpt2Block(config, rng).forward(x, maskBias, ctx);
 * ```
 */
export class Gpt2Block extends Module {
  constructor(config: Gpt2Config, rng: Rng) {
    super();
    this.registerModule("ln_1", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.registerModule("attn", new Gpt2Attention(config, rng));
    this.registerModule("ln_2", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.registerModule("mlp", new Gpt2MLP(config, rng));
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT, step?: Gpt2Step): Tensor {
    const normed = this.child<Layer>("ln_1").forward(x, ctx);
    const h = add(x, this.child<Gpt2Attention>("attn").forward(normed, maskBias, ctx, step));
    return add(h, this.child<Layer>("mlp").forward(this.child<Layer>("ln_2").forward(h, ctx), ctx));
  }
}
