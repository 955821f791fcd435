import { Linear, Module, type Tensor, TunekitError } from "@tunekit/core";
import { add, concat, mul, slice, softmax, sum } from "@tunekit/core/ir";
import { filledTensor } from "@tunekit/core/models";
import { mulberry32 } from "@tunekit/core/data";

/**
 * AdapterFusion at one adapter site (AdapterHub's `BertFusion`, "dynamic" config): children
 * `query`, `key` (Linear hidden → hidden, normal(0, 0.02) init, zero bias) and `value`
 * (Linear without bias, initialised to the identity). For the sub-layer output `h` and the
 * adapter outputs `u_1..u_n` (each `scaling · up(act(down(·)))`, before any residual):
 * `α = softmax_i(⟨query(h), key(u_i)⟩)` per token and the fused output is
 * `Σ_i α_i · value(u_i)`; the site adds it to `h`. No temperature schedule, no score
 * dropout and no value regularisation (AdapterHub's optional extras) are applied.
 *
 * @example
 * ```ts
 * const fusion = new AdapterFusionLayer(768, 2);
 * const mixed = fusion.forward(h, [u1, u2]); // [B, S, 768]
 * ```
 */
export class AdapterFusionLayer extends Module {
  readonly hiddenSize: number;

  constructor(hiddenSize: number, seed = 0) {
    super();
    this.hiddenSize = hiddenSize;
    const rng = mulberry32(seed);
    this.registerModule("query", new Linear(hiddenSize, hiddenSize, { rng, std: 0.02 }));
    this.registerModule("key", new Linear(hiddenSize, hiddenSize, { rng, std: 0.02 }));
    const value = new Linear(hiddenSize, hiddenSize, { rng, std: 0, bias: false });
    const eye = filledTensor([hiddenSize, hiddenSize], 0);
    for (let i = 0; i < hiddenSize; i++) eye.data[i * hiddenSize + i] = 1;
    value.weight.value = eye;
    this.registerModule("value", value);
  }

  /** The fusion weights `α` `[..., n]` (a softmax over the adapters, per token). */
  weights(h: Tensor, ups: readonly Tensor[]): Tensor {
    if (ups.length === 0) {
      throw new TunekitError("INVALID_ARGUMENT", "AdapterFusionLayer: no adapter outputs to fuse");
    }
    const q = this.child<Linear>("query").forward(h);
    const key = this.child<Linear>("key");
    const scores = ups.map((u) => sum(mul(q, key.forward(u)), -1, true));
    return softmax(scores.length === 1 ? scores[0]! : concat(scores, -1), -1);
  }

  /** `Σ_i α_i · value(u_i)` with `α` from {@link AdapterFusionLayer.weights}. */
  forward(h: Tensor, ups: readonly Tensor[]): Tensor {
    const alpha = this.weights(h, ups);
    const value = this.child<Linear>("value");
    const rank = alpha.rank;
    let out: Tensor | undefined;
    ups.forEach((u, i) => {
      const begin = new Array<number>(rank).fill(0);
      begin[rank - 1] = i;
      const size = new Array<number>(rank).fill(-1);
      size[rank - 1] = 1;
      const term = mul(slice(alpha, begin, size), value.forward(u));
      out = out ? add(out, term) : term;
    });
    return out!;
  }
}
