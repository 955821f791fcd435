import type { Backend } from "../backend/backend.js";
import { Graph } from "../ir/graph.js";
import { adamw } from "../optim/adamw.js";
import { type HostTensor, hostTensor } from "../tensor/host-tensor.js";

/** AdamW hyper-parameters as `reference.json` spells them. @example `const hp: ParityAdamwHyperparameters = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }` */
export interface ParityAdamwHyperparameters {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weight_decay: number;
}

/**
 * One AdamW step (the core optimizer, torch.optim.AdamW semantics, fresh zero state,
 * step 1, weight decay on every tensor) on `params` with the given gradients, executed on
 * `backend`. Returns the updated values by name.
 *
 * @example
 * ```ts
 * const next = await parityAdamwStep(backend, [{ name: "w", value: w, grad: dw }], json.adamw);
 * ```
 */
export async function parityAdamwStep(
  backend: Backend,
  params: readonly { name: string; value: HostTensor; grad: HostTensor }[],
  hp: ParityAdamwHyperparameters,
): Promise<Record<string, HostTensor>> {
  const opt = adamw({ beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps, weightDecay: hp.weight_decay });
  const g = new Graph();
  const step = g.input("step", "float32", []);
  const lr = g.input("lr", "float32", []);
  const feeds: Record<string, HostTensor> = {
    step: hostTensor("float32", [], [1]),
    lr: hostTensor("float32", [], [hp.lr]),
  };
  params.forEach((p, i) => {
    const slots = opt.stateSlots(p.value);
    const state = Object.fromEntries(
      Object.entries(slots).map(([slot, value]) => {
        feeds[`${slot}.${i}`] = value;
        return [slot, g.input(`${slot}.${i}`, value.dtype, value.shape)];
      }),
    );
    feeds[`param.${i}`] = p.value;
    feeds[`grad.${i}`] = p.grad;
    const param = g.input(`param.${i}`, "float32", p.value.shape);
    const grad = g.input(`grad.${i}`, "float32", p.grad.shape);
    g.output(`new.${i}`, opt.update({ name: p.name, param, grad, state, step, lr }).param);
  });
  const exe = await backend.compile(g);
  try {
    const out = await exe.run(feeds);
    return Object.fromEntries(params.map((p, i) => [p.name, out[`new.${i}`]!]));
  } finally {
    exe.dispose();
  }
}
