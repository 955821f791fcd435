import { TunekitError } from "../errors.js";
import type { Tensor } from "../ir/graph.js";
import { add, mul } from "../ir/ops.js";
import { Linear } from "../modules/linear.js";
import { type ForwardContext, Layer, type Module } from "../modules/module.js";
import type { HostTensor } from "../tensor/host-tensor.js";

/**
 * A minimal LoRA wrapper used only by the parity harness: `y = base(x) + (x Aᵀ Bᵀ)·alpha/r`,
 * with `A [r, in]` and `B [out, r]`. It shares the base Linear's `weight` and `bias`
 * (same `Parameter` objects, same names) and adds `lora_A.weight` / `lora_B.weight`, so
 * its parameter names are PEFT's without the `base_layer` level. The real LoRA strategy
 * lives in `@tunekit/strategies`.
 *
 * @example
 * ```ts
 * model.setSubmodule(path, new ParityLoraLinear(model.getSubmodule(path) as Linear, a, b, 8));
 * ```
 */
export class ParityLoraLinear extends Layer {
  readonly scale: number;

  constructor(
    readonly base: Linear,
    a: HostTensor,
    b: HostTensor,
    alpha: number,
  ) {
    super();
    const r = a.shape[0]!;
    if (a.shape[1] !== base.inFeatures || b.shape[0] !== base.outFeatures || b.shape[1] !== r) {
      throw new TunekitError(
        "SHAPE_MISMATCH",
        `LoRA on ${base.weight.name} [${base.outFeatures}, ${base.inFeatures}]: got A [${a.shape.join(", ")}] ` +
          `and B [${b.shape.join(", ")}]; expected A [r, ${base.inFeatures}] and B [${base.outFeatures}, r]`,
      );
    }
    this.scale = alpha / r;
    this.registerParameter("weight", base.weight);
    if (base.bias) this.registerParameter("bias", base.bias);
    const loraA = new Linear(base.inFeatures, r, { bias: false });
    const loraB = new Linear(r, base.outFeatures, { bias: false });
    loraA.weight.value = a;
    loraB.weight.value = b;
    this.registerModule("lora_A", loraA);
    this.registerModule("lora_B", loraB);
  }

  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const delta = this.child<Layer>("lora_B").forward(this.child<Layer>("lora_A").forward(x, ctx), ctx);
    return add(this.base.forward(x), mul(delta, this.scale));
  }
}

/**
 * Wraps every `Linear` whose path ends with one of `targetModules` (e.g. `query`,
 * `value`) in a {@link ParityLoraLinear}, taking A and B from `tensorsFor(path)`. Returns
 * the wrapped paths.
 *
 * @example
 * ```ts
 * applyParityLora(model, ["query", "value"], 8, (p) => ({ a: ref[`${p}.A`], b: ref[`${p}.B`] }));
 * ```
 */
export function applyParityLora(
  model: Module,
  targetModules: readonly string[],
  alpha: number,
  tensorsFor: (path: string) => { a: HostTensor; b: HostTensor },
): string[] {
  const paths = model
    .namedModules()
    .filter(([path, m]) => m instanceof Linear && targetModules.some((t) => path.split(".").at(-1) === t))
    .map(([path]) => path);
  for (const path of paths) {
    const { a, b } = tensorsFor(path);
    model.setSubmodule(path, new ParityLoraLinear(model.getSubmodule(path) as Linear, a, b, alpha));
  }
  return paths;
}
