import { TunekitError } from "../errors.js";
import type { Tensor } from "../ir/graph.js";
import { add, div, mul, pow, sqrt, sub } from "../ir/ops.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { type HostKernelCall, runHostKernel } from "./host-kernels.js";
import { checkHyperparameter } from "./hyperparameters.js";
import type {
  DecayFilterOption,
  HostKernelArgs,
  HostOptimizerUpdateArgs,
  Optimizer,
  OptimizerUpdateArgs,
  OptimizerUpdateResult,
} from "./optimizer.js";
import { resolveDecayFilter } from "./optimizer.js";

/**
 * Options of {@link adamw} (PyTorch defaults except `weightDecay`, which is 0.01 as in
 * `torch.optim.AdamW`).
 *
 * @example
 * ```ts
 * const opts: AdamWOptions = { beta2: 0.98, weightDecay: 0.1, decayFilter: "hf" };
 * ```
 */
export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Which parameters get weight decay (default `"all"`, as PyTorch). */
  readonly decayFilter?: DecayFilterOption;
}

function stateOf(args: OptimizerUpdateArgs, slot: string): Tensor {
  const t = args.state[slot];
  if (!t) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `adamw: state slot "${slot}" is missing for ${args.name ?? "a parameter"}; feed the slots returned by stateSlots()`,
    );
  }
  return t;
}

/**
 * AdamW with exactly `torch.optim.AdamW`'s update (decoupled weight decay, bias correction
 * computed in the graph from the fed step number), for step `t` (1-based):
 *
 * ```
 * p ← p · (1 − lr · wd)                       (skipped where decayFilter(name) is false)
 * m ← β1 m + (1 − β1) g ;  v ← β2 v + (1 − β2) g²
 * p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * ```
 *
 * @example
 * ```ts
 * const opt = adamw({ weightDecay: 0.01, decayFilter: "hf" });
 * const { param, state } = opt.update({ name: "classifier.weight", param: w, grad: dw, state: { m, v }, step, lr });
 * ```
 */
export function adamw(options: AdamWOptions = {}): Optimizer {
  const beta1 = checkHyperparameter("adamw", "beta1", options.beta1 ?? 0.9, 0, 1, true);
  const beta2 = checkHyperparameter("adamw", "beta2", options.beta2 ?? 0.999, 0, 1, true);
  const eps = checkHyperparameter("adamw", "eps", options.eps ?? 1e-8, 0, Number.MAX_VALUE);
  const weightDecay = checkHyperparameter("adamw", "weightDecay", options.weightDecay ?? 0.01, 0, 1e6);
  const { filter, label } = resolveDecayFilter(options.decayFilter);
  const hostKernel = (args: HostKernelArgs): HostKernelCall => {
    const { step, lr } = args;
    const decay =
      weightDecay !== 0 && (args.name === undefined || filter(args.name)) ? 1 - lr * weightDecay : 1;
    // m / (√v / √bc2 + eps) = m·√bc2 / (√v + eps·√bc2): one division per element.
    const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
    const stepSize = (lr / (1 - beta1 ** step)) * sqrtBc2;
    return { kernel: "adamw", scalars: [decay, stepSize, eps * sqrtBc2, beta1, beta2, args.gradScale ?? 1] };
  };
  return {
    name: "adamw",
    config: { type: "adamw", beta1, beta2, eps, weightDecay, decayFilter: label },
    stateSlots(param: HostTensor): Record<string, HostTensor> {
      return { m: hostTensor("float32", param.shape), v: hostTensor("float32", param.shape) };
    },
    update(args: OptimizerUpdateArgs): OptimizerUpdateResult {
      const { grad: g, step, lr } = args;
      const m0 = stateOf(args, "m");
      const v0 = stateOf(args, "v");
      let p = args.param;
      if (weightDecay !== 0 && (args.name === undefined || filter(args.name))) {
        p = mul(p, sub(1, mul(lr, weightDecay)));
      }
      const m = add(mul(m0, beta1), mul(g, 1 - beta1));
      const v = add(mul(v0, beta2), mul(mul(g, g), 1 - beta2));
      const biasCorrection1 = sub(1, pow(beta1, step));
      const biasCorrection2 = sub(1, pow(beta2, step));
      const stepSize = div(lr, biasCorrection1);
      const denom = add(div(sqrt(v), sqrt(biasCorrection2)), eps);
      const next = sub(p, mul(stepSize, div(m, denom)));
      return { param: next, state: { m, v } };
    },
    updateOnHost(args: HostOptimizerUpdateArgs): void {
      const { param: p, grad: g } = args;
      const m = args.state.m;
      const v = args.state.v;
      if (!m || !v || m.length !== p.length || v.length !== p.length || g.length !== p.length) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `adamw: updateOnHost needs grad and state slots m, v of the parameter's length ${p.length} for ${args.name ?? "a parameter"}`,
        );
      }
      runHostKernel(hostKernel(args), p, g, { m, v }, 0, p.length);
    },
    hostKernel,
  };
}
