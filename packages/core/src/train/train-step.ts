import { grad } from "../autodiff/grad.js";
import { TunekitError } from "../errors.js";
import type { ParameterLike } from "../ir/graph.js";
import { Graph, Tensor } from "../ir/graph.js";
import { add, full, mul, sum } from "../ir/ops.js";
import type { ForwardContext } from "../modules/module.js";
import { clipGradNorm } from "../optim/clip-grad-norm.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DType, HostTensor } from "../tensor/host-tensor.js";
import {
  accumulatorInputName,
  GRAD_NORM_OUTPUT,
  GRAD_SQUARES_OUTPUT,
  gradOutputName,
  LOSS_OUTPUT,
  LR_INPUT,
  newValueName,
  SEED_INPUT,
  STEP_INPUT,
  sparseGradOutputNames,
  stateInputName,
} from "./train-step-names.js";

/**
 * A parameter the training step can update: a name, a replaceable host value and a
 * trainable flag. `Parameter` from the modules layer implements it.
 *
 * @example
 * ```ts
 * const w: TrainableParameterLike = { name: "fc.weight", value: hostTensor("float32", [4, 2]), trainable: true };
 * ```
 */
export interface TrainableParameterLike extends ParameterLike {
  value: HostTensor;
  trainable: boolean;
}

/**
 * Dtype and static shape of one batch input.
 *
 * @example
 * ```ts
 * const spec: InputSpec = { dtype: "int32", shape: [16, 128] };
 * ```
 */
export interface InputSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * What a forward function returns: the scalar `loss` (required for training) and any
 * extra named outputs (e.g. `logits`).
 *
 * @example
 * ```ts
 * const outs: ForwardOutputs = { loss, logits };
 * ```
 */
export interface ForwardOutputs {
  readonly loss?: Tensor;
  readonly [extra: string]: Tensor | undefined;
}

/**
 * Builds the model's forward pass on `g` from the declared batch `inputs`. Parameters are
 * referenced with `g.param(p)` (modules do this); `ctx` says whether dropout is on and
 * carries its int32 seed.
 *
 * @example
 * ```ts
 * const forward: ForwardFn = (g, inputs, ctx) => model.forward(inputs, ctx);
 * ```
 */
export type ForwardFn = (g: Graph, inputs: Record<string, Tensor>, ctx: ForwardContext) => ForwardOutputs;

/**
 * Options of {@link buildTrainStep}.
 *
 * @example
 * ```ts
 * const opts: TrainStepOptions = { params, forward, inputSpecs, optimizer: adamw(), clipNorm: 1, dropout: true };
 * ```
 */
export interface TrainStepOptions {
  readonly params: readonly TrainableParameterLike[];
  readonly forward: ForwardFn;
  readonly inputSpecs: Readonly<Record<string, InputSpec>>;
  readonly optimizer: Optimizer;
  /** Global L2-norm clipping of the gradients (off when omitted). */
  readonly clipNorm?: number;
  /**
   * Micro-batches per optimizer update (default 1). With `k > 1` the loss is scaled by `1/k`,
   * the graph takes one `<param>::grad_acc` input per trainable parameter, and `phase`
   * chooses between accumulating (`"accumulate"`) and accumulating + updating (`"update"`).
   */
  readonly gradientAccumulation?: number;
  /** `"update"` (default) or `"accumulate"` (gradient accumulation only). */
  readonly phase?: "update" | "accumulate";
  /**
   * The update phase outputs each parameter's (clipped) gradient as `<param>::grad` instead
   * of applying the optimizer in the graph (no `step`, `lr` or state inputs): the caller
   * applies {@link Optimizer.updateOnHost}.
   */
  readonly optimizerOnHost?: boolean;
  /** Whether dropout is on (adds the int32 scalar `seed` input). */
  readonly dropout: boolean;
}

/**
 * A traced training step and the names of everything it reads and writes.
 *
 * @example
 * ```ts
 * const { graph, trainableNames, frozenNames } = buildTrainStep(opts);
 * ```
 */
export interface TrainStep {
  readonly graph: Graph;
  /** Trainable parameters used by the forward pass: fed by name, updated as `<name>::new`. */
  readonly trainableNames: readonly string[];
  /** Trainable parameters the forward pass does not use: no gradient, no update (as in PyTorch). */
  readonly unusedTrainableNames: readonly string[];
  /** Frozen parameters used by the forward pass: bind them as compile-time constants. */
  readonly frozenNames: readonly string[];
  /** Optimizer state inputs, `<param>::<slot>`; each has a `<param>::<slot>::new` output. */
  readonly stateNames: readonly string[];
  /**
   * Gradient accumulator inputs, `<param>::grad_acc`, in `trainableNames` order (gradient
   * accumulation only); in the `"accumulate"` phase each has a `<param>::grad_acc::new` output.
   */
  readonly accumulatorNames: readonly string[];
  /** Forward outputs other than the loss (e.g. `logits`). */
  readonly extraOutputNames: readonly string[];
  readonly phase: "update" | "accumulate";
  /**
   * `optimizerOnHost` only: parameters whose gradient is output row-sparse
   * ({@link sparseGradOutputNames}) instead of dense (`<param>::grad`): embedding tables read
   * only through `gather`, with fewer gathered rows than half the table.
   */
  readonly sparseGradNames?: readonly string[];
}

const RESERVED_INPUTS = [STEP_INPUT, LR_INPUT, SEED_INPUT];

function checkInputSpecs(specs: Readonly<Record<string, InputSpec>>): void {
  for (const name of Object.keys(specs)) {
    if (RESERVED_INPUTS.includes(name) || name.includes("::")) {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `buildTrainStep: batch input "${name}" clashes with the step's own inputs (${RESERVED_INPUTS.join(", ")}, names with "::"); rename it`,
      );
    }
  }
}

/**
 * The indices and row updates of a gradient that is one scatter-add into zeros (an
 * embedding table read once by `gather`), when fewer rows are gathered than half the table;
 * else undefined (the dense gradient is smaller or as cheap).
 */
function rowSparse(gr: Tensor): { indices: Tensor; updates: Tensor } | undefined {
  const node = gr.node;
  if (node.op !== "scatterAdd" || node.dtype !== "float32") return undefined;
  const [indices, updates] = node.inputs.map((id) => new Tensor(gr.graph, id)) as [Tensor, Tensor];
  const gathered = indices.shape.reduce((a, d) => a * d, 1);
  return gathered * 2 < gr.shape[0]! ? { indices, updates } : undefined;
}

function checkMaxNorm(maxNorm: number): void {
  if (!(typeof maxNorm === "number" && maxNorm > 0 && Number.isFinite(maxNorm))) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `buildTrainStep: clipNorm must be a positive finite number, got ${String(maxNorm)}`,
    );
  }
}

/**
 * Traces ONE graph for a whole training step: forward, loss, backward (gradients only for
 * trainable parameters), optional global-norm clipping and the optimizer update.
 *
 * Inputs: the batch tensors, `step` and `lr` (float32 scalars), `seed` (int32 scalar, when
 * dropout is on), every trainable parameter (a `param` node fed by name), and every
 * optimizer state slot `<param>::<slot>`. Frozen parameters are `param` nodes to bind as
 * compile-time constants. Outputs: `loss`, the forward's extra outputs, `<param>::new`,
 * `<param>::<slot>::new`, and `grad_norm` when clipping.
 *
 * @example
 * ```ts
 * const step = buildTrainStep({
 *   params: model.namedParameters(),
 *   forward: (g, inputs, ctx) => model.forward(inputs, ctx),
 *   inputSpecs: { input_ids: { dtype: "int32", shape: [8, 64] }, labels: { dtype: "int32", shape: [8] } },
 *   optimizer: adamw(),
 *   clipNorm: 1,
 *   dropout: true,
 * });
 * const exe = await backend.compile(step.graph, { constants: frozenValues });
 * ```
 */
export function buildTrainStep(options: TrainStepOptions): TrainStep {
  const accumulation = options.gradientAccumulation ?? 1;
  if (!Number.isInteger(accumulation) || accumulation < 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `buildTrainStep: gradientAccumulation must be a positive integer, got ${String(accumulation)}`,
    );
  }
  const phase = options.phase ?? "update";
  if (phase === "accumulate" && accumulation === 1) {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `buildTrainStep: phase "accumulate" needs gradientAccumulation > 1`,
    );
  }
  checkInputSpecs(options.inputSpecs);
  const g = new Graph();
  const inputs: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(options.inputSpecs))
    inputs[name] = g.input(name, spec.dtype, spec.shape);
  const inGraph = phase === "update" && !options.optimizerOnHost;
  const step = inGraph ? g.input(STEP_INPUT, "float32", []) : undefined;
  const lr = inGraph ? g.input(LR_INPUT, "float32", []) : undefined;
  const seed = options.dropout ? g.input(SEED_INPUT, "int32", []) : undefined;
  // Without dropout the forward runs as in eval mode (modules only use `training` for dropout).
  const ctx: ForwardContext =
    seed === undefined ? { training: false, batch: inputs } : { training: true, seed, batch: inputs };

  const outs = options.forward(g, inputs, ctx);
  const loss = outs.loss;
  if (loss === undefined || loss.graph !== g || loss.rank !== 0 || loss.dtype !== "float32") {
    throw new TunekitError(
      "INVALID_ARGUMENT",
      `buildTrainStep: forward must return { loss } as a float32 scalar of the graph it received, got ${loss === undefined ? "no loss" : loss.toString()}`,
    );
  }
  g.output(LOSS_OUTPUT, loss);
  const extraOutputNames: string[] = [];
  for (const [name, t] of Object.entries(outs)) {
    if (name === LOSS_OUTPUT || t === undefined) continue;
    g.output(name, t);
    extraOutputNames.push(name);
  }

  const trainable = options.params.filter((p) => p.trainable);
  const used = trainable.filter((p) => g.params.has(p.name));
  const unusedTrainableNames = trainable.filter((p) => !g.params.has(p.name)).map((p) => p.name);
  const trainableSet = new Set(used.map((p) => p.name));
  for (const p of used) {
    if (g.parameters.get(p.name) !== p) {
      throw new TunekitError(
        "GRAPH_INVALID",
        `buildTrainStep: the forward pass bound another object named "${p.name}" than the trainable parameter passed in params`,
      );
    }
    if (p.value.dtype !== "float32") {
      throw new TunekitError(
        "INVALID_ARGUMENT",
        `buildTrainStep: trainable parameter "${p.name}" is ${p.value.dtype}; only float32 parameters can be trained (freeze it)`,
      );
    }
  }
  const frozenNames = [...g.params.keys()].filter((n) => !trainableSet.has(n));

  const paramTensors = used.map((p) => g.param(p));
  const objective = accumulation > 1 ? mul(loss, 1 / accumulation) : loss;
  let grads = paramTensors.length > 0 ? grad(objective, paramTensors) : [];
  const accumulatorNames: string[] = [];
  if (accumulation > 1) {
    grads = grads.map((gr, i) => {
      const name = accumulatorInputName(used[i]!.name);
      accumulatorNames.push(name);
      return add(g.input(name, "float32", gr.shape), gr);
    });
  }
  const stateNames: string[] = [];
  const sparseGradNames: string[] = [];
  if (phase === "accumulate") {
    grads.forEach((gr, i) => {
      g.output(newValueName(accumulatorNames[i]!), gr);
    });
  } else if (used.length > 0) {
    if (options.optimizerOnHost) {
      // Gradients go out unclipped: the host clips (it adds the sparse rows' squares).
      const dense: Tensor[] = [];
      used.forEach((p, i) => {
        const gr = grads[i]!;
        const rows = rowSparse(gr);
        if (rows) {
          const names = sparseGradOutputNames(p.name);
          g.output(names.rows, rows.updates);
          g.output(names.indices, rows.indices);
          sparseGradNames.push(p.name);
        } else {
          g.output(gradOutputName(p.name), gr);
          dense.push(gr);
        }
      });
      if (options.clipNorm !== undefined) {
        checkMaxNorm(options.clipNorm);
        let squares: Tensor = full(g, [], 0);
        for (const gr of dense) squares = add(squares, sum(mul(gr, gr)));
        g.output(GRAD_SQUARES_OUTPUT, squares);
      }
    } else if (options.clipNorm !== undefined) {
      const clipped = clipGradNorm(grads, options.clipNorm);
      grads = clipped.grads;
      g.output(GRAD_NORM_OUTPUT, clipped.norm);
    }
    (options.optimizerOnHost ? [] : used).forEach((p, i) => {
      const state: Record<string, Tensor> = {};
      for (const slot of Object.keys(options.optimizer.stateSlots(p.value))) {
        const name = stateInputName(p.name, slot);
        state[slot] = g.input(name, "float32", p.value.shape);
        stateNames.push(name);
      }
      const next = options.optimizer.update({
        name: p.name,
        param: paramTensors[i]!,
        grad: grads[i]!,
        state,
        step: step!,
        lr: lr!,
      });
      g.output(newValueName(p.name), next.param);
      for (const slot of Object.keys(state)) {
        const t = next.state[slot];
        if (!t) {
          throw new TunekitError(
            "GRAPH_INVALID",
            `buildTrainStep: optimizer ${options.optimizer.name} returned no new value for state slot "${slot}" of "${p.name}"`,
          );
        }
        g.output(newValueName(stateInputName(p.name, slot)), t);
      }
    });
  }
  return {
    graph: g,
    trainableNames: used.map((p) => p.name),
    unusedTrainableNames,
    frozenNames,
    stateNames,
    accumulatorNames,
    extraOutputNames,
    phase,
    ...(options.optimizerOnHost && phase === "update" ? { sparseGradNames } : {}),
  };
}

/**
 * Traces the forward pass alone (no gradients, dropout off) for evaluation: outputs are
 * the forward's outputs (`loss` when it returns one). Every parameter is a `param` node.
 *
 * @example
 * ```ts
 * const { graph } = buildEvalStep({ forward, inputSpecs });
 * ```
 */
export function buildEvalStep(options: {
  readonly forward: ForwardFn;
  readonly inputSpecs: Readonly<Record<string, InputSpec>>;
}): { graph: Graph; outputNames: string[] } {
  const g = new Graph();
  const inputs: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(options.inputSpecs))
    inputs[name] = g.input(name, spec.dtype, spec.shape);
  const outs = options.forward(g, inputs, { training: false, batch: inputs });
  const outputNames: string[] = [];
  for (const [name, t] of Object.entries(outs)) {
    if (t === undefined) continue;
    g.output(name, t);
    outputNames.push(name);
  }
  if (outputNames.length === 0) {
    throw new TunekitError("INVALID_ARGUMENT", "buildEvalStep: forward returned no outputs");
  }
  return { graph: g, outputNames };
}
