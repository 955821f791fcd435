import {
  Dropout,
  type ForwardContext,
  type HostTensor,
  hostTensor,
  Linear,
  Parameter,
  type Tensor,
} from "@tunekit/core";
import { add, div, matmul, mul, reshape, sqrt, sub, sum } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";
import type { Rng } from "@tunekit/core/data";
import { kaimingUniformA, mergedLoraWeight, rowNorms } from "./lora-math.js";
import { stopGradientNonNegative } from "./stop-gradient.js";

/**
 * Options of one {@link LoraLinear}.
 *
 * @example
 * ```ts
 * const o: LoraLinearOptions = { r: 8, alpha: 16, dropout: 0.1, useRslora: false, useDora: false, rng };
 * ```
 */
export interface LoraLinearOptions {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly useRslora: boolean;
  readonly useDora: boolean;
  /** Generator of `A`'s kaiming-uniform initialisation. */
  readonly rng: Rng;
}

/**
 * A `Linear` with a LoRA adapter: `y = x·Wᵀ + b + scale·B·A·dropout(x)`, `A [r, in]`
 * kaiming-uniform, `B [out, r]` zeros (so a fresh adapter changes nothing), `scale =
 * alpha/r` (rsLoRA: `alpha/√r`). With DoRA, a magnitude vector `m [out]` (initialised to
 * the row norms of `W`, as PEFT does) rescales each output:
 * `y = (m/‖W + scale·B·A‖_row) ⊙ (x·Wᵀ + scale·B·A·x) + b`.
 *
 * It registers the base layer's own `weight` / `bias` Parameter objects (so the base stays
 * one frozen copy and paths stay Hugging Face's) and adds `lora_A.weight`,
 * `lora_B.weight` and, with DoRA, `lora_magnitude_vector` (PEFT's names).
 *
 * @example
 * ```ts
 * const q = model.getSubmodule(path) as Linear;
 * model.setSubmodule(path, new LoraLinear(q, { r: 8, alpha: 16, dropout: 0, useRslora: false, useDora: false, rng }));
 * ```
 */
export class LoraLinear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly r: number;
  readonly alpha: number;
  /** `alpha / r`, or `alpha / √r` with rsLoRA. */
  readonly scale: number;
  readonly useDora: boolean;
  /** The base layer's weight Parameter (restored by {@link LoraLinear.unmerge}). */
  readonly baseWeight: Parameter;
  private mergedWeight: Parameter | undefined;

  constructor(base: Linear, options: LoraLinearOptions) {
    super();
    const { r, alpha } = options;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.r = r;
    this.alpha = alpha;
    this.scale = options.useRslora ? alpha / Math.sqrt(r) : alpha / r;
    this.useDora = options.useDora;
    this.baseWeight = base.weight;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    this.registerModule("lora_dropout", new Dropout(options.dropout));
    const a = new Linear(base.inFeatures, r, { bias: false });
    a.weight.value = kaimingUniformA(r, base.inFeatures, options.rng);
    const b = new Linear(r, base.outFeatures, { bias: false });
    b.weight.value = hostTensor("float32", [base.outFeatures, r], new Float32Array(base.outFeatures * r));
    this.registerModule("lora_A", a);
    this.registerModule("lora_B", b);
    if (options.useDora) {
      const norms = rowNorms(base.weight.value.data, base.outFeatures, base.inFeatures);
      this.registerParameter(
        "lora_magnitude_vector",
        new Parameter(
          "lora_magnitude_vector",
          hostTensor("float32", [base.outFeatures], Float32Array.from(norms)),
        ),
      );
    }
  }

  /** `lora_A.weight` `[r, in]`. */
  get loraA(): Parameter {
    return this.child<Linear>("lora_A").weight;
  }

  /** `lora_B.weight` `[out, r]`. */
  get loraB(): Parameter {
    return this.child<Linear>("lora_B").weight;
  }

  /** DoRA's `lora_magnitude_vector` `[out]` (undefined without DoRA). */
  get magnitude(): Parameter | undefined {
    return this.namedOwnParameters().find(([n]) => n === "lora_magnitude_vector")?.[1];
  }

  /** The bias Parameter of the base layer, if any. */
  get bias(): Parameter | undefined {
    return this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
  }

  /** Whether the adapter is merged into `weight` (see {@link LoraLinear.merge}). */
  get merged(): boolean {
    return this.mergedWeight !== undefined;
  }

  /**
   * Folds the adapter into a NEW frozen weight Parameter (the base weight object is kept
   * untouched) and runs as a plain Linear until {@link LoraLinear.unmerge}. Returns the
   * merged weight.
   */
  merge(): Parameter {
    if (this.mergedWeight) return this.mergedWeight;
    const w = mergedLoraWeight(
      this.baseWeight.value,
      this.loraA.value,
      this.loraB.value,
      this.scale,
      this.magnitude?.value,
    );
    const p = new Parameter("weight", w, { trainable: false });
    this.mergedWeight = p;
    this.registerParameter("weight", p);
    return p;
  }

  /** Restores the base weight Parameter (exactly: the base values were never changed). */
  unmerge(): void {
    if (!this.mergedWeight) return;
    this.mergedWeight = undefined;
    this.registerParameter("weight", this.baseWeight);
  }

  /** A plain `Linear` with the merged weight and the base bias Parameter. */
  toMergedLinear(): Linear {
    const w = this.merged
      ? this.param("weight").value
      : mergedLoraWeight(
          this.baseWeight.value,
          this.loraA.value,
          this.loraB.value,
          this.scale,
          this.magnitude?.value,
        );
    return plainLinear(w, this.bias?.value);
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const g = x.graph;
    const lead = x.shape.slice(0, -1);
    const flat = x.rank > 2 ? reshape(x, [-1, this.inFeatures]) : x;
    const w = g.param(this.param("weight"));
    let y = matmul(flat, w, { transposeB: true });
    const bias = this.bias;
    if (!this.merged) {
      const xd = this.child<Layer>("lora_dropout").forward(flat, ctx);
      const a = g.param(this.loraA);
      const b = g.param(this.loraB);
      const delta = mul(matmul(matmul(xd, a, { transposeB: true }), b, { transposeB: true }), this.scale);
      const magnitude = this.magnitude;
      if (!magnitude) y = add(y, delta);
      else {
        // PEFT: result + (m/‖W + s·BA‖ − 1)·(dropout(x)·Wᵀ) + (m/‖W + s·BA‖)·s·BA·dropout(x)
        const combined = add(w, mul(matmul(b, a), this.scale));
        // PEFT detaches the norm (DoRA paper §4.3): no gradient flows through it
        const norm = stopGradientNonNegative(sqrt(sum(mul(combined, combined), 1)));
        const factor = reshape(div(g.param(magnitude), norm), [1, this.outFeatures]);
        const baseXd = xd === flat ? y : matmul(xd, w, { transposeB: true });
        y = add(y, add(mul(sub(factor, 1), baseXd), mul(factor, delta)));
      }
    }
    if (bias) y = add(y, g.param(bias));
    return x.rank > 2 ? reshape(y, [...lead, this.outFeatures]) : y;
  }
}

/**
 * A plain `Linear` with the given weight and bias values (new frozen Parameter objects;
 * the value tensors are shared, not copied).
 *
 * @example
 * ```ts
 * const merged = plainLinear(mergedWeight, base.bias?.value);
 * ```
 */
export function plainLinear(weight: HostTensor, bias: HostTensor | undefined): Linear {
  const [nOut, nIn] = weight.shape as [number, number];
  const lin = new Linear(nIn, nOut, { bias: bias !== undefined });
  lin.weight.value = weight;
  lin.weight.trainable = false;
  if (bias && lin.bias) {
    lin.bias.value = bias;
    lin.bias.trainable = false;
  }
  return lin;
}
