import type { Tensor } from "../ir/graph.js";
import { add, matmul, reshape } from "../ir/ops.js";
import { filledTensor, type InitOptions, normalTensor, resolveInit } from "./init.js";
import { Layer } from "./module.js";
import { Parameter } from "./parameter.js";

/**
 * Affine map in Hugging Face layout: `weight [out, in]`, `bias [out]`,
 * `y = x · weightᵀ + bias` over the last axis of `x`. Weight init normal(0, std), bias zeros.
 *
 * @example
 * ```ts
 * const dense = new Linear(768, 3072, { rng: mulberry32(0) });
 * const h = dense.forward(x); // x [B, S, 768] -> [B, S, 3072]
 * ```
 */
export class Linear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: InitOptions & { bias?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const { rng, std } = resolveInit(options);
    this.registerParameter(
      "weight",
      new Parameter("weight", normalTensor([outFeatures, inFeatures], rng, std)),
    );
    if (options.bias ?? true) {
      this.registerParameter("bias", new Parameter("bias", filledTensor([outFeatures], 0)));
    }
  }

  /** The weight parameter `[out, in]`. */
  get weight(): Parameter {
    return this.param("weight");
  }

  /** The bias parameter `[out]`, if any. */
  get bias(): Parameter | undefined {
    return this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
  }

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const lead = x.shape.slice(0, -1);
    const flat = x.rank > 2 ? reshape(x, [-1, this.inFeatures]) : x;
    let y = matmul(flat, g.param(this.weight), { transposeB: true });
    const b = this.bias;
    if (b) y = add(y, g.param(b));
    return x.rank > 2 ? reshape(y, [...lead, this.outFeatures]) : y;
  }
}
