import type { Tensor } from "../ir/graph.js";
import type { HostTensor } from "../tensor/host-tensor.js";
import type { HostKernelCall } from "./host-kernels.js";

/**
 * What {@link Optimizer.update} receives for one parameter: the current value, its gradient,
 * the optimizer state slots (same names as {@link Optimizer.stateSlots}), and the step number
 * (float32 scalar, 1 for the first update) and learning rate (float32 scalar), both fed at
 * run time. `name` is the parameter's full path, used by weight-decay filters.
 *
 * @example
 * ```ts
 * const args: OptimizerUpdateArgs = { name: "classifier.weight", param: w, grad: dw, state: { m, v }, step, lr };
 * ```
 */
export interface OptimizerUpdateArgs {
  readonly name?: string;
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly state: Readonly<Record<string, Tensor>>;
  readonly step: Tensor;
  readonly lr: Tensor;
}

/**
 * The updated parameter and state slots, as IR tensors of the same graph.
 *
 * @example
 * ```ts
 * const { param: next, state } = optimizer.update(args);
 * g.output("classifier.weight::new", next);
 * ```
 */
export interface OptimizerUpdateResult {
  readonly param: Tensor;
  readonly state: Record<string, Tensor>;
}

/**
 * Which parameters get weight decay. `"all"` (PyTorch's default), `"hf"` (the Hugging Face
 * Trainer convention: no decay for biases and LayerNorm weights, see {@link hfDecayFilter}),
 * or a function of the parameter name (recorded as `"custom"` in the config).
 *
 * @example
 * ```ts
 * const filter: DecayFilterOption = (name) => !name.endsWith(".bias");
 * ```
 */
export type DecayFilterOption = "all" | "hf" | ((name: string) => boolean);

/**
 * JSON-able description of an optimizer (hyper-parameters only; the learning rate is fed each step).
 *
 * @example
 * ```ts
 * const c: OptimizerConfig = { type: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decayFilter: "hf" };
 * ```
 */
export type OptimizerConfig =
  | {
      readonly type: "adamw";
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly decayFilter: "all" | "hf" | "custom";
    }
  | {
      readonly type: "sgd";
      readonly momentum: number;
      readonly dampening: number;
      readonly weightDecay: number;
      readonly nesterov: boolean;
      readonly decayFilter: "all" | "hf" | "custom";
    };

/**
 * An optimizer written in IR ops: `update` appends the update of one parameter to the
 * training-step graph, so backends only execute it. State lives on the host between steps
 * and is fed as inputs; `stateSlots` gives its initial value for a parameter.
 *
 * @example
 * ```ts
 * const opt = adamw({ weightDecay: 0.01 });
 * const slots = opt.stateSlots(param.value); // { m: zeros, v: zeros }
 * const { param: next, state } = opt.update({ name, param: p, grad: dp, state: { m, v }, step, lr });
 * ```
 */
export interface Optimizer {
  readonly name: string;
  readonly config: OptimizerConfig;
  /** Initial state of each slot for a parameter (e.g. `{ m, v }` zeros of its shape). */
  stateSlots(param: HostTensor): Record<string, HostTensor>;
  /** The updated parameter and state, built from IR ops on the graph of `args.param`. */
  update(args: OptimizerUpdateArgs): OptimizerUpdateResult;
  /**
   * The same update applied in place on host arrays, in one pass over the parameter
   * (optional; used by `TrainStepRunner`'s `optimizerOnHost`).
   */
  updateOnHost?(args: HostOptimizerUpdateArgs): void;
  /**
   * The same host update as a named kernel and its scalars (optional): lets
   * `TrainStepRunner` split each parameter's range over worker threads (`hostThreads`).
   */
  hostKernel?(args: HostKernelArgs): HostKernelCall;
}

/**
 * Arguments of {@link Optimizer.hostKernel}: the parameter's name (for weight-decay
 * filters), the 1-based step, the learning rate and a factor on the gradient (the clipping
 * scale; default 1).
 *
 * @example
 * ```ts
 * const call = opt.hostKernel?.({ name: "classifier.weight", step: 3, lr: 2e-5, gradScale: 0.5 });
 * ```
 */
export interface HostKernelArgs {
  readonly name?: string;
  readonly step: number;
  readonly lr: number;
  readonly gradScale?: number;
}

/**
 * Arguments of {@link Optimizer.updateOnHost}: the parameter, its gradient and its state
 * slots as host arrays (the parameter and state are updated in place), the 1-based step and
 * the learning rate.
 *
 * @example
 * ```ts
 * opt.updateOnHost?.({ name: "w", param: w.data, grad: gw.data, state: { m, v }, step: 1, lr: 1e-3 });
 * ```
 */
export interface HostOptimizerUpdateArgs {
  readonly name?: string;
  readonly param: Float32Array;
  readonly grad: Float32Array;
  readonly state: Readonly<Record<string, Float32Array>>;
  readonly step: number;
  readonly lr: number;
  /** Factor on the gradient (the clipping scale; default 1). */
  readonly gradScale?: number;
}

const NO_DECAY_PATTERN = /(^|\.)bias$|layer_?norm|(^|\.)ln(_\w+)?\./i;

/**
 * The Hugging Face Trainer's weight-decay convention: `false` (no decay) for biases and
 * LayerNorm weights, `true` otherwise.
 *
 * @example
 * ```ts
 * hfDecayFilter("bert.encoder.layer.0.output.LayerNorm.weight"); // false
 * hfDecayFilter("classifier.weight"); // true
 * ```
 */
export function hfDecayFilter(name: string): boolean {
  return !NO_DECAY_PATTERN.test(name);
}

/**
 * Resolves a {@link DecayFilterOption} to a predicate and its config label.
 *
 * @example
 * ```ts
 * const { filter } = resolveDecayFilter("hf");
 * filter("classifier.bias"); // false
 * ```
 */
export function resolveDecayFilter(option: DecayFilterOption | undefined): {
  filter: (name: string) => boolean;
  label: "all" | "hf" | "custom";
} {
  if (option === undefined || option === "all") return { filter: () => true, label: "all" };
  if (option === "hf") return { filter: hfDecayFilter, label: "hf" };
  return { filter: option, label: "custom" };
}
