import { TunekitError } from "../errors.js";
import { add, equal, mul, sub, where } from "../ir/ops.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import { hostTensor } from "../tensor/host-tensor.js";
import { checkHyperparameter } from "./hyperparameters.js";
import type {
  DecayFilterOption,
  Optimizer,
  OptimizerUpdateArgs,
  OptimizerUpdateResult,
} from "./optimizer.js";
import { resolveDecayFilter } from "./optimizer.js";

/**
 * Options of {@link sgd} (PyTorch defaults).
 *
 * @example
 * ```ts
 * const opts: SgdOptions = { momentum: 0.9, nesterov: true };
 * ```
 */
export interface SgdOptions {
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  /** Which parameters get weight decay (default `"all"`, as PyTorch). */
  readonly decayFilter?: DecayFilterOption;
}

/**
 * SGD with `torch.optim.SGD` semantics: L2 weight decay added to the gradient
 * (`d = g + wd · p`), then with momentum a buffer `b ← μ b + (1 − dampening) d` that
 * starts as the first `d` (step 1, selected in the graph with `where(step == 1, …)`),
 * `d = d + μ b` (Nesterov) or `d = b`, and finally `p ← p − lr · d`. The state slot
 * `momentum_buffer` exists only when `momentum > 0`.
 *
 * @example
 * ```ts
 * const opt = sgd({ momentum: 0.9 });
 * const { param } = opt.update({ param: w, grad: dw, state: { momentum_buffer: b }, step, lr });
 * ```
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  const momentum = checkHyperparameter("sgd", "momentum", options.momentum ?? 0, 0, 1e6);
  const dampening = checkHyperparameter("sgd", "dampening", options.dampening ?? 0, 0, 1);
  const weightDecay = checkHyperparameter("sgd", "weightDecay", options.weightDecay ?? 0, 0, 1e6);
  const nesterov = options.nesterov ?? false;
  if (nesterov && (momentum === 0 || dampening !== 0)) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `sgd: nesterov needs momentum > 0 and dampening 0, got momentum ${momentum}, dampening ${dampening}`,
    );
  }
  const { filter, label } = resolveDecayFilter(options.decayFilter);
  return {
    name: "sgd",
    config: { type: "sgd", momentum, dampening, weightDecay, nesterov, decayFilter: label },
    stateSlots(param: HostTensor): Record<string, HostTensor> {
      return momentum === 0 ? {} : { momentum_buffer: hostTensor("float32", param.shape) };
    },
    update(args: OptimizerUpdateArgs): OptimizerUpdateResult {
      const { param: p, step, lr } = args;
      let d = args.grad;
      if (weightDecay !== 0 && (args.name === undefined || filter(args.name))) {
        d = add(d, mul(p, weightDecay));
      }
      if (momentum === 0) return { param: sub(p, mul(lr, d)), state: {} };
      const buf0 = args.state.momentum_buffer;
      if (!buf0) {
        throw new TunekitError(
          "INVALID_ARGUMENT",
          `sgd: state slot "momentum_buffer" is missing for ${args.name ?? "a parameter"}; feed the slots returned by stateSlots()`,
        );
      }
      const running = add(mul(buf0, momentum), dampening === 0 ? d : mul(d, 1 - dampening));
      const buf = where(equal(step, 1), d, running);
      const dir = nesterov ? add(d, mul(buf, momentum)) : buf;
      return { param: sub(p, mul(lr, dir)), state: { momentum_buffer: buf } };
    },
  };
}
