import { type ForwardContext, Module, type Tensor } from "@tunekit/core";
import { broadcastTo, concat, full, reshape, slice, transpose } from "@tunekit/core/ir";
import { type BertLayer, EVAL_CONTEXT, type ModuleList } from "@tunekit/core/models";
import type { PrefixEncoder } from "./prefix-encoder.js";

/**
 * Replaces `bert.encoder` for prefix tuning, keeping its `layer` list (so every base
 * parameter keeps its Hugging Face path) and adding `prefix_encoder`
 * ({@link PrefixEncoder}). Each forward computes the prefix table once, splits it as PEFT
 * does (`view(P, L·2, heads, headDim).permute(2, 0, 3, 1, 4)`: layer `i` takes row block
 * `2i` as keys and `2i + 1` as values), broadcasts it over the batch, prepends it to every
 * layer's self-attention keys and values, and prepends `P` always-attended positions to the
 * mask bias (PEFT extends `attention_mask` with ones).
 *
 * @example
 * ```ts
 * const h = (adapted.getSubmodule("bert.encoder") as PrefixTunedEncoder).forward(x, maskBias, ctx);
 * ```
 */
export class PrefixTunedEncoder extends Module {
  readonly numHeads: number;

  constructor(replaced: Module, prefixEncoder: PrefixEncoder, numHeads: number) {
    super();
    this.numHeads = numHeads;
    for (const [name, child] of replaced.namedChildren()) this.registerModule(name, child);
    this.registerModule("prefix_encoder", prefixEncoder);
  }

  /** The prefix encoder. */
  get prefixEncoder(): PrefixEncoder {
    return this.child<PrefixEncoder>("prefix_encoder");
  }

  forward(x: Tensor, maskBias: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const g = x.graph;
    const b = x.shape[0]!;
    const enc = this.prefixEncoder;
    const p = enc.numVirtualTokens;
    const headDim = enc.tokenDim / this.numHeads;
    const table = enc.forward(g); // [P, L*2*H]
    const blocks = transpose(reshape(table, [p, enc.numLayers * 2, this.numHeads, headDim]), [1, 2, 0, 3]);
    const block = (i: number): Tensor =>
      broadcastTo(slice(blocks, [i, 0, 0, 0], [1, -1, -1, -1]), [b, this.numHeads, p, headDim]);
    const bias = concat([full(g, [b, 1, 1, p], 0), maskBias], 3);
    let h = x;
    let i = 0;
    for (const layer of this.child<ModuleList<BertLayer>>("layer")) {
      h = layer.forward(h, bias, ctx, { key: block(2 * i), value: block(2 * i + 1) });
      i++;
    }
    return h;
  }
}
