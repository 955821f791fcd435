import type { Tensor } from "../ir/graph.js";
import { layerNorm } from "../ir/composites.js";
import { filledTensor } from "./init.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/**
 * Layer normalisation over the last axis with `weight` (ones) and `bias` (zeros), PyTorch
 * semantics (biased variance, `eps` inside the square root).
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(768, 1e-12);
 * const y = ln.forward(x);
 * ```
 */
export class LayerNorm extends Layer {
  readonly eps: number;

  constructor(dim: number, eps = 1e-5) {
    super();
    this.eps = eps;
    this.registerParameter("weight", new Parameter("weight", filledTensor([dim], 1)));
    this.registerParameter("bias", new Parameter("bias", filledTensor([dim], 0)));
  }

  forward(x: Tensor): Tensor {
    const g = x.graph;
    return layerNorm(x, g.param(this.param("weight")), g.param(this.param("bias")), this.eps);
  }
}
