import {
  type ForwardContext,
  type HostTensor,
  hostTensor,
  type Linear,
  Parameter,
  type Tensor,
} from "@tunekit/core";
import { add, matmul, mul, reshape } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";
import { plainLinear } from "../lora/lora-linear.js";

/**
 * A `Linear` with an (IA)³ scaling vector `ia3_l`, as PEFT's IA3 layer: for a
 * feed-forward module the INPUT is scaled (`y = (x ⊙ l)·Wᵀ + b`, `l [1, in]`), otherwise
 * the OUTPUT (`y = (x·Wᵀ + b) ⊙ l`, `l [out, 1]`). `l` starts at ones, so a fresh adapter
 * changes nothing. Shares the base layer's `weight` / `bias` Parameter objects.
 *
 * @example
 * ```ts
 * model.setSubmodule(path, new Ia3Linear(model.getSubmodule(path) as Linear, false));
 * ```
 */
export class Ia3Linear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly isFeedforward: boolean;
  /** The base layer's weight and bias Parameters (restored by {@link Ia3Linear.unmerge}). */
  readonly baseWeight: Parameter;
  readonly baseBias: Parameter | undefined;
  private mergedFlag = false;

  constructor(base: Linear, isFeedforward: boolean) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.isFeedforward = isFeedforward;
    this.baseWeight = base.weight;
    this.baseBias = base.bias;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    const shape = isFeedforward ? [1, base.inFeatures] : [base.outFeatures, 1];
    const n = isFeedforward ? base.inFeatures : base.outFeatures;
    this.registerParameter(
      "ia3_l",
      new Parameter("ia3_l", hostTensor("float32", shape, new Float32Array(n).fill(1))),
    );
  }

  /** The scaling vector Parameter `ia3_l`. */
  get scaling(): Parameter {
    return this.param("ia3_l");
  }

  /** The bias Parameter of the base layer, if any. */
  get bias(): Parameter | undefined {
    return this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
  }

  /**
   * A plain `Linear` with the scaling folded in (PEFT's merge): feed-forward scales the
   * weight's columns; otherwise the weight's rows and the bias.
   */
  toMergedLinear(): Linear {
    const { weight, bias } = this.mergedValues();
    return plainLinear(weight, bias);
  }

  /** Whether the scaling is folded into `weight` / `bias` (see {@link Ia3Linear.merge}). */
  get merged(): boolean {
    return this.mergedFlag;
  }

  /**
   * Folds the scaling into NEW frozen weight (and, for output scaling, bias) Parameters;
   * the base Parameter objects are kept untouched. Runs as a plain Linear until
   * {@link Ia3Linear.unmerge}.
   */
  merge(): void {
    if (this.mergedFlag) return;
    const { weight, bias } = this.mergedValues();
    this.registerParameter("weight", new Parameter("weight", weight, { trainable: false }));
    if (bias && this.baseBias && bias !== this.baseBias.value) {
      this.registerParameter("bias", new Parameter("bias", bias, { trainable: false }));
    }
    this.mergedFlag = true;
  }

  /** Restores the base Parameters (exactly). */
  unmerge(): void {
    if (!this.mergedFlag) return;
    this.registerParameter("weight", this.baseWeight);
    if (this.baseBias) this.registerParameter("bias", this.baseBias);
    this.mergedFlag = false;
  }

  private mergedValues(): { weight: HostTensor; bias: HostTensor | undefined } {
    const w = this.baseWeight.value;
    const l = this.scaling.value.data;
    const [nOut, nIn] = w.shape as [number, number];
    const merged = new Float32Array(nOut * nIn);
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        merged[o * nIn + i] = w.data[o * nIn + i]! * (this.isFeedforward ? l[i]! : l[o]!);
      }
    }
    let bias: HostTensor | undefined = this.baseBias?.value;
    if (bias && !this.isFeedforward) {
      const b = bias;
      bias = hostTensor(
        "float32",
        [nOut],
        Float32Array.from(b.data as Float32Array, (v, o) => v * l[o]!),
      );
    }
    return { weight: hostTensor("float32", [nOut, nIn], merged), bias };
  }

  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const g = x.graph;
    const lead = x.shape.slice(0, -1);
    let flat = x.rank > 2 ? reshape(x, [-1, this.inFeatures]) : x;
    if (this.mergedFlag) {
      const y = mulLinear(flat, g.param(this.param("weight")), this.bias ? g.param(this.bias) : undefined);
      return x.rank > 2 ? reshape(y, [...lead, this.outFeatures]) : y;
    }
    const l = g.param(this.scaling);
    if (this.isFeedforward) flat = mul(flat, reshape(l, [1, this.inFeatures]));
    let y = mulLinear(flat, g.param(this.param("weight")), this.bias ? g.param(this.bias) : undefined);
    if (!this.isFeedforward) y = mul(y, reshape(l, [1, this.outFeatures]));
    return x.rank > 2 ? reshape(y, [...lead, this.outFeatures]) : y;
  }
}

function mulLinear(x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
  const y = matmul(x, w, { transposeB: true });
  return b ? add(y, b) : y;
}
