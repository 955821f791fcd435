import { Dropout, type ForwardContext, hostTensor, Linear, type Parameter, type Tensor } from "@tunekit/core";
import { add, matmul, mul, reshape } from "@tunekit/core/ir";
import { Layer } from "@tunekit/core/models";
import type { Rng } from "@tunekit/core/data";
import { kaimingUniformA } from "../lora/lora-math.js";
import { AdapterDict } from "../multi-adapter/multi-lora-layers.js";
import { routedSum, taskIdsOf } from "./task-routing.js";

/**
 * Options of a {@link TaskLoraLinear}: LoRA's rank, alpha, dropout and rsLoRA switch, and
 * one generator per task for its `A` init (kaiming-uniform, as `LoraLinear`).
 *
 * @example
 * ```ts
 * const o: TaskLoraLinearOptions = { r: 4, alpha: 8, dropout: 0, useRslora: false, rngs: [mulberry32(1), mulberry32(2)] };
 * ```
 */
export interface TaskLoraLinearOptions {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly useRslora: boolean;
  /** One generator per task, in task order. */
  readonly rngs: readonly Rng[];
}

/**
 * A `Linear` with one trainable LoRA adapter per task, routed per batch row by `task_ids`:
 * `y = x·Wᵀ + b + Σ_t mask_t ⊙ scale·B_t·A_t·dropout(x)`. Each task's adapter is exactly a
 * `LoraLinear`'s (same init, scale `alpha/r` or `alpha/√r`, same op order), so a row's output
 * equals the single-task LoRA model's bit for bit. Parameters use PEFT's multi-adapter
 * paths: `lora_A.<task>.weight` `[r, in]`, `lora_B.<task>.weight` `[out, r]` (zeros at
 * first). The base `weight` / `bias` Parameter objects are shared and stay frozen.
 *
 * @example
 * ```ts
 * const q = model.getSubmodule(path) as Linear;
 * model.setSubmodule(path, new TaskLoraLinear(q, ["sst2", "rte"], { r: 8, alpha: 16, dropout: 0, useRslora: false, rngs }));
 * ```
 */
export class TaskLoraLinear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly tasks: readonly string[];
  readonly r: number;
  readonly alpha: number;
  /** `alpha / r`, or `alpha / √r` with rsLoRA. */
  readonly scale: number;

  constructor(base: Linear, tasks: readonly string[], options: TaskLoraLinearOptions) {
    super();
    const { r, alpha } = options;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.tasks = Object.freeze([...tasks]);
    this.r = r;
    this.alpha = alpha;
    this.scale = options.useRslora ? alpha / Math.sqrt(r) : alpha / r;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    this.registerModule("lora_dropout", new Dropout(options.dropout));
    const dictA = this.registerModule("lora_A", new AdapterDict());
    const dictB = this.registerModule("lora_B", new AdapterDict());
    tasks.forEach((task, t) => {
      const a = new Linear(base.inFeatures, r, { bias: false });
      a.weight.value = kaimingUniformA(r, base.inFeatures, options.rngs[t]!);
      const b = new Linear(r, base.outFeatures, { bias: false });
      b.weight.value = hostTensor("float32", [base.outFeatures, r], new Float32Array(base.outFeatures * r));
      dictA.set(task, a);
      dictB.set(task, b);
    });
  }

  /** Task `task`'s `lora_A.<task>.weight` `[r, in]`. */
  loraA(task: string): Parameter {
    return this.child<AdapterDict>("lora_A").get<Linear>(task)!.weight;
  }

  /** Task `task`'s `lora_B.<task>.weight` `[out, r]`. */
  loraB(task: string): Parameter {
    return this.child<AdapterDict>("lora_B").get<Linear>(task)!.weight;
  }

  /** The adapter parameters of one task (`A`, `B`). */
  taskParameters(task: string): Parameter[] {
    return [this.loraA(task), this.loraB(task)];
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const g = x.graph;
    const lead = x.shape.slice(0, -1);
    const flat = x.rank > 2 ? reshape(x, [-1, this.inFeatures]) : x;
    let y = matmul(flat, g.param(this.param("weight")), { transposeB: true });
    const xd = this.child<Layer>("lora_dropout").forward(flat, ctx);
    const deltas = this.tasks.map((task) => {
      const h = matmul(xd, g.param(this.loraA(task)), { transposeB: true });
      const d = mul(matmul(h, g.param(this.loraB(task)), { transposeB: true }), this.scale);
      return x.rank > 2 ? reshape(d, [...lead, this.outFeatures]) : d;
    });
    const delta = routedSum(taskIdsOf(ctx, x, this.tasks), deltas);
    y = add(y, x.rank > 2 ? reshape(delta, [-1, this.outFeatures]) : delta);
    const bias = this.namedOwnParameters().find(([n]) => n === "bias")?.[1];
    if (bias) y = add(y, g.param(bias));
    return x.rank > 2 ? reshape(y, [...lead, this.outFeatures]) : y;
  }
}
